/** Bulk actions by filter, promote, and deleting a finished job, over HTTP. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { validateConfig } from '../../src/config/load-config.js';
import type { Principal } from '../../src/engine/principal.js';
import { openTier } from '../helpers/open-tier.js';

const adminKey = 'test-admin-key';
const tier = { ...openTier, ratePerMinute: 60_000, burst: 10_000 };

describe('bulk actions over HTTP', () => {
  let server: RunningServer;

  beforeEach(async () => {
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      db: ':memory:',
      demo: false,
      config: validateConfig({ tiers: { basic: tier }, defaultTier: 'basic' }),
      adminKey,
      graceMs: 200,
    });
  });
  afterEach(async () => {
    await server.close();
  });

  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown, key = adminKey) => {
    const response = await server.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: a test reads loosely typed JSON bodies
    return { status: response.statusCode, body: (response.body ? response.json() : {}) as any };
  };
  const as = (owner: string): Principal => ({ owner, role: 'tenant', tier: 'basic', keyId: null });

  /** `n` jobs of `owner` in `queue` that failed their one attempt. */
  async function failedJobs(queue: string, n: number, owner = 'acme', type = 'default'): Promise<string[]> {
    const { engine } = server;
    const outcomes = await engine.submitMany(
      Array.from({ length: n }, () => ({ queue, type, maxAttempts: 1 })),
      as(owner),
    );
    for (;;) {
      const jobs = await engine.claim({ queue, workerId: 'w', limit: 100 });
      if (jobs.length === 0) break;
      for (const job of jobs)
        await engine.fail({ id: job.id, token: job.leaseToken }, { message: 'x', retryable: false }, 1);
    }
    return outcomes.map((o) => ('job' in o ? o.job.id : ''));
  }

  it('redrives every failed job of a queue in pages while a submit to another queue goes through', async () => {
    await failedJobs('render', 650);
    await failedJobs('other', 3);
    const order: string[] = [];
    const bulk = call('POST', '/jobs/bulk', {
      action: 'retry',
      filter: { queue: 'render', status: 'failed' },
    }).then((answer) => {
      order.push('bulk');
      return answer;
    });
    // Let the bulk action start, then submit elsewhere: it must not wait for the whole redrive.
    await new Promise((resolve) => setImmediate(resolve));
    const submit = await call('POST', '/jobs', { queue: 'elsewhere' });
    order.push('submit');
    expect(submit.status).toBe(202);
    const answer = await bulk;
    expect(answer.body).toEqual({ action: 'retry', matched: 650, changed: 650, skipped: 0 });
    expect(order).toEqual(['submit', 'bulk']);
    expect(await server.engine.counts('render')).toMatchObject({ failed: 0, queued: 650 });
    expect(await server.engine.counts('other')).toMatchObject({ failed: 3 });
  });

  it('filters by type, owner and creation time, and scopes a tenant to its own jobs', async () => {
    await failedJobs('q', 3, 'acme', 'a');
    await failedJobs('q', 2, 'acme', 'b');
    await failedJobs('q', 4, 'globex', 'a');
    const byType = await call('POST', '/jobs/bulk', { action: 'retry', filter: { type: 'b' } });
    expect(byType.body).toMatchObject({ matched: 2, changed: 2 });
    const key = (await call('POST', '/keys', { owner: 'globex', role: 'tenant', tier: 'basic' })).body.key;
    const tenant = await call('POST', '/jobs/bulk', { action: 'delete', filter: { owner: 'acme' } }, key);
    expect(tenant.body).toMatchObject({ matched: 4, changed: 4 }); // its own 4, never acme's
    expect(await server.engine.counts('q')).toMatchObject({ failed: 3, queued: 2 });
    const future = new Date(Date.now() + 60_000).toISOString();
    const none = await call('POST', '/jobs/bulk', { action: 'retry', filter: { createdAfter: future } });
    expect(none.body).toMatchObject({ matched: 0, changed: 0 });
    const before = await call('POST', '/jobs/bulk', { action: 'cancel', filter: { createdBefore: future } });
    expect(before.body).toMatchObject({ matched: 2, changed: 2 });
    const bad = await call('POST', '/jobs/bulk', { action: 'explode', filter: {} });
    expect(bad.status).toBe(400);
    const badTime = await call('POST', '/jobs/bulk', {
      action: 'retry',
      filter: { createdAfter: 'yesterday' },
    });
    expect(badTime.status).toBe(400);
  });

  it('promotes scheduled jobs to run now, one or in bulk', async () => {
    const one = await call('POST', '/jobs', { queue: 'later', delayMs: 3_600_000 });
    await call('POST', '/jobs', { queue: 'later', delayMs: 3_600_000 });
    await call('POST', '/jobs', { queue: 'later', delayMs: 3_600_000 });
    const promoted = await call('POST', `/jobs/${one.body.id}/promote`);
    expect(promoted.body.status).toBe('queued');
    expect((await call('POST', `/jobs/${one.body.id}/promote`)).status).toBe(409);
    const bulk = await call('POST', '/jobs/bulk', { action: 'promote', filter: { queue: 'later' } });
    expect(bulk.body).toMatchObject({ matched: 2, changed: 2 });
    expect(await server.engine.counts('later')).toMatchObject({ scheduled: 0, queued: 3 });
  });

  it('deletes a finished job, refuses an unfinished one, and hides another tenant’s', async () => {
    const [failed] = await failedJobs('q', 1);
    const waiting = await call('POST', '/jobs', { queue: 'q' });
    const key = (await call('POST', '/keys', { owner: 'globex', role: 'tenant', tier: 'basic' })).body.key;
    expect((await call('DELETE', `/jobs/${failed}`, undefined, key)).status).toBe(404);
    expect((await call('DELETE', `/jobs/${waiting.body.id}`)).status).toBe(409);
    expect((await call('DELETE', `/jobs/${failed}`)).status).toBe(204);
    expect((await call('GET', `/jobs/${failed}`)).status).toBe(404);
    expect((await call('DELETE', `/jobs/${failed}`)).status).toBe(404);
  });
});
