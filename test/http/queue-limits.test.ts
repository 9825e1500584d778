/**
 * Queues a tenant may make, on every store: control routes answer 404 for a queue that
 * does not exist (and create none), `queues.allowUnknown: false` refuses submits to
 * unconfigured queues, created queues are capped per tenant and server-wide (409), an
 * idle empty created queue is retired from every list and from /metrics, and the
 * metrics' queue labels stay within the configured queues plus the cap.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import type { JobgateConfig } from '../../src/config/config-schema.js';
import { validateConfig } from '../../src/config/load-config.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobStore } from '../../src/store/store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

const adminKey = `jg_000000000000_${'q'.repeat(40)}`;
let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const stores: Array<[string, () => Promise<JobStore>]> = [
  ['sqlite', async () => new SqliteStore({ file: ':memory:' })],
  [
    'redis',
    async () => {
      const store = new RedisStore({ url: redis.url, prefix: `ql-${randomUUID()}`, timeoutMs: 10_000 });
      await store.connect();
      return store;
    },
  ],
];

describe.each(stores)('queue limits on %s', (_name, makeStore) => {
  let running: RunningServer | null = null;
  afterEach(async () => {
    await running?.close();
    running = null;
  });

  async function serve(queues: Record<string, unknown>, retireMs?: number) {
    const config: JobgateConfig = validateConfig({ queues });
    running = await startServer({
      port: 0,
      host: '127.0.0.1',
      db: ':memory:',
      demo: false,
      adminKey,
      graceMs: 100,
      config,
      store: await makeStore(),
      engine: retireMs ? { intervals: { promoteMs: 50, reapMs: 50, purgeMs: 60_000, retireMs } } : undefined,
    });
    const app = running.app;
    const call = async (method: 'GET' | 'POST', url: string, key: string, payload?: unknown) => {
      const response = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}` },
        payload: payload as object,
      });
      return { status: response.statusCode, body: response.body ? response.json() : null };
    };
    const tenant = async (owner: string) =>
      (await call('POST', '/api/v1/keys', adminKey, { owner, role: 'tenant', tier: 'free' })).body
        .key as string;
    return { call, tenant };
  }

  it('answers 404 to pause, resume and clear of a queue that does not exist, and creates none', async () => {
    const { call } = await serve({ known: { maxWorkers: 1 } });
    for (const action of ['pause', 'resume', 'clear']) {
      const answer = await call('POST', `/api/v1/queues/ghost/${action}`, adminKey);
      expect(answer.status, JSON.stringify(answer.body)).toBe(404);
      expect(answer.body.error.code).toBe('JOBGATE_ERR_QUEUE_NOT_FOUND');
    }
    const list = await call('GET', '/api/v1/queues', adminKey);
    expect(list.body.items.map((q: { queue: string }) => q.queue)).toEqual(['known']);
    expect((await call('POST', '/api/v1/queues/known/pause', adminKey)).status).toBe(200);
    // A queue a submit made exists too.
    expect((await call('POST', '/api/v1/jobs', adminKey, { queue: 'made' })).status).toBe(202);
    expect((await call('POST', '/api/v1/queues/made/clear', adminKey)).body).toEqual({
      queue: 'made',
      cleared: 1,
    });
  });

  it('refuses submits to unconfigured queues with queues.allowUnknown: false', async () => {
    const { call, tenant } = await serve({ allowUnknown: false, known: { maxWorkers: 1 } });
    const key = await tenant('acme');
    const refused = await call('POST', '/api/v1/jobs', key, { queue: 'other' });
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('JOBGATE_ERR_QUEUE_NOT_FOUND');
    expect((await call('POST', '/api/v1/jobs', key, { queue: 'known' })).status).toBe(202);
    const batch = await call('POST', '/api/v1/jobs/batch', key, {
      jobs: [{ queue: 'known' }, { queue: 'other' }],
    });
    expect(batch.body.items.map((item: { status: string }) => item.status)).toEqual(['accepted', 'error']);
    expect(batch.body.items[1].error.code).toBe('JOBGATE_ERR_QUEUE_NOT_FOUND');
    const list = await call('GET', '/api/v1/queues', key);
    expect(list.body.items.map((q: { queue: string }) => q.queue)).toEqual(['known']);
  });

  it('caps the queues submits make, per tenant and server-wide, and bounds the metrics labels', async () => {
    const { call, tenant } = await serve({ maxUnknown: 4, maxUnknownPerOwner: 3, known: { maxWorkers: 1 } });
    const [a, b] = [await tenant('a'), await tenant('b')];
    // One batch of 50 new names: three are made, the rest refused, the configured queue served.
    const names = Array.from({ length: 50 }, (_, n) => ({ queue: `a-${n}` }));
    const batch = await call('POST', '/api/v1/jobs/batch', a, { jobs: [...names, { queue: 'known' }] });
    const statuses = batch.body.items.map(
      (item: { status: string; error?: { code: string } }) => item.error?.code ?? item.status,
    );
    expect(statuses.filter((s: string) => s === 'accepted')).toHaveLength(4);
    expect(statuses.filter((s: string) => s === 'JOBGATE_ERR_QUEUE_LIMIT_REACHED')).toHaveLength(47);
    // Another job in one of its queues is fine; a fourth queue is not.
    expect((await call('POST', '/api/v1/jobs', a, { queue: 'a-1' })).status).toBe(202);
    const fourth = await call('POST', '/api/v1/jobs', a, { queue: 'a-new' });
    expect(fourth.status).toBe(409);
    expect(fourth.body.error).toMatchObject({
      code: 'JOBGATE_ERR_QUEUE_LIMIT_REACHED',
      details: { scope: 'owner', limit: 3 },
    });
    // b may use a's queues, and make one of its own before the server-wide cap.
    expect((await call('POST', '/api/v1/jobs', b, { queue: 'a-2' })).status).toBe(202);
    expect((await call('POST', '/api/v1/jobs', b, { queue: 'b-1' })).status).toBe(202);
    const full = await call('POST', '/api/v1/jobs', b, { queue: 'b-2' });
    expect(full.body.error).toMatchObject({
      code: 'JOBGATE_ERR_QUEUE_LIMIT_REACHED',
      details: { scope: 'server' },
    });

    const list = await call('GET', '/api/v1/queues', a);
    expect(list.body.items).toHaveLength(5);
    const metrics = await running!.app.inject({ method: 'GET', url: '/metrics' });
    const labels = new Set([...metrics.body.matchAll(/queue="([^"]+)"/g)].map((m) => m[1]));
    expect([...labels].sort()).toEqual(['a-0', 'a-1', 'a-2', 'b-1', 'known']);
  });

  it('retires an idle, empty queue a submit made: gone from the lists, its allowance freed', async () => {
    const { call, tenant } = await serve(
      { maxUnknownPerOwner: 1, retireUnknownAfterSec: 0.3, known: { maxWorkers: 1 } },
      50,
    );
    const key = await tenant('t');
    expect((await call('POST', '/api/v1/jobs', key, { queue: 'short-lived' })).status).toBe(202);
    expect((await call('POST', '/api/v1/jobs', key, { queue: 'second' })).status).toBe(409);
    // Not while it holds a job.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(
      (await call('GET', '/api/v1/queues', key)).body.items.map((q: { queue: string }) => q.queue),
    ).toContain('short-lived');
    expect((await call('POST', '/api/v1/queues/short-lived/clear', adminKey)).body.cleared).toBe(1);
    await waitFor(
      async () => {
        const items = (await call('GET', '/api/v1/queues', key)).body.items.map(
          (q: { queue: string }) => q.queue,
        );
        return !items.includes('short-lived');
      },
      { timeoutMs: 5_000 },
    );
    expect((await call('POST', '/api/v1/queues/short-lived/pause', adminKey)).status).toBe(404);
    const metrics = await running!.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).not.toContain('queue="short-lived"');
    expect((await call('POST', '/api/v1/jobs', key, { queue: 'second' })).status).toBe(202);
  });
});
