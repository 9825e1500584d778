/** Capacity and tenancy through the HTTP API, with real API keys and a tiers config. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import type { JobgateConfig } from '../../src/config/config-schema.js';
import { validateConfig } from '../../src/config/load-config.js';
import type { Job } from '../../src/domain/job.js';
import { waitFor } from '../helpers/wait-for.js';

const adminKey = 'test-admin-key';
const tier = {
  priorityBoost: 0,
  maxConcurrentPerUser: -1,
  maxConcurrentPerProject: -1,
  dailyJobs: -1,
  iterationDepth: -1,
  iterationBatch: 1,
  ratePerMinute: 6000,
  burst: 1000,
};

function config(overrides: Partial<JobgateConfig> = {}): JobgateConfig {
  return validateConfig({
    tiers: {
      basic: tier,
      boosted: { ...tier, priorityBoost: 2 },
      limited: { ...tier, maxConcurrentPerUser: 2, maxConcurrentPerProject: 1 },
      quota: { ...tier, dailyJobs: 5 },
      iter: { ...tier, iterationDepth: 1, iterationBatch: 2 },
      slow: { ...tier, ratePerMinute: 60, burst: 3 },
    },
    defaultTier: 'basic',
    queues: { full: { maxQueued: 2 } },
    quota: { resetUtc: '00:00', jitterSec: 60 },
    ...overrides,
  });
}

describe('capacity and tenancy over HTTP', () => {
  let server: RunningServer;

  beforeEach(async () => {
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      db: ':memory:',
      demo: false,
      config: config(),
      adminKey,
      engine: { leaseMs: 5_000, intervals: { promoteMs: 20, reapMs: 50, purgeMs: 60_000 } },
      graceMs: 500,
    });
  });
  afterEach(async () => {
    await server.close();
  });

  const call = async (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    key: string | null,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const response = await server.app.inject({
      method,
      url,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    const parsed = (response.body ? response.json() : {}) as Record<string, unknown> & Job;
    return { status: response.statusCode, body: parsed, headers: response.headers };
  };

  const createKey = async (owner: string, tierName: string, role = 'tenant') => {
    const created = await call('POST', '/api/v1/keys', adminKey, { owner, role, tier: tierName });
    expect(created.status).toBe(201);
    return { key: created.body.key as string, id: (created.body.record as { id: string }).id };
  };

  const submit = (key: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
    call('POST', '/api/v1/jobs', key, body, headers);
  const claimAll = (queue: string, limit = 1000) => server.engine.claim({ queue, workerId: 'test', limit });

  it('claims a tier-boosted job submitted after lower-tier jobs first', async () => {
    const { key: low } = await createKey('low', 'basic');
    const { key: high } = await createKey('high', 'boosted');
    for (let i = 0; i < 3; i++) expect((await submit(low, { queue: 'q' })).status).toBe(202);
    const boosted = await submit(high, { queue: 'q' });
    const [first] = await claimAll('q', 1);
    expect(first?.id).toBe(boosted.body.id);
  });

  it('runs at most maxConcurrentPerUser jobs of one user, and per project, and completes them all', async () => {
    const { key } = await createKey('busy', 'limited');
    let running = 0;
    let peak = 0;
    const peakPerProject = new Map<string, number>();
    const runningPerProject = new Map<string, number>();
    server.workers.register(
      'long',
      async (job) => {
        const project = job.projectId ?? '-';
        running++;
        runningPerProject.set(project, (runningPerProject.get(project) ?? 0) + 1);
        peak = Math.max(peak, running);
        peakPerProject.set(
          project,
          Math.max(peakPerProject.get(project) ?? 0, runningPerProject.get(project)!),
        );
        await new Promise((resolve) => setTimeout(resolve, 150));
        running--;
        runningPerProject.set(project, runningPerProject.get(project)! - 1);
      },
      { concurrency: 10, pollMs: 20 },
    );
    const ids: string[] = [];
    for (const projectId of ['p1', 'p1', 'p2', undefined, undefined]) {
      ids.push((await submit(key, { queue: 'long', ...(projectId ? { projectId } : {}) })).body.id);
    }
    await waitFor(
      async () => {
        const jobs = await Promise.all(ids.map((id) => call('GET', `/api/v1/jobs/${id}`, key)));
        return jobs.every((j) => j.body.status === 'completed');
      },
      { message: 'all jobs completed' },
    );
    expect(peak).toBe(2);
    expect(peakPerProject.get('p1')).toBe(1);
  });

  it('defers jobs over the daily quota to the next reset, with usage counters', async () => {
    const { key } = await createKey('q', 'quota');
    const used: Array<[unknown, unknown]> = [];
    for (let i = 1; i <= 5; i++) {
      const res = await submit(key, { queue: 'nowork' });
      expect(res.status).toBe(202);
      expect(res.body.status).toBe('queued');
      const usage = res.body.usage as { jobsUsed: number; jobsRemaining: number };
      used.push([usage.jobsUsed, usage.jobsRemaining]);
    }
    expect(used.slice(0, 4)).toEqual([
      [1, 4],
      [2, 3],
      [3, 2],
      [4, 1],
    ]);
    const sixth = await submit(key, { queue: 'nowork' });
    expect(sixth.status).toBe(202);
    expect(sixth.body.status).toBe('scheduled');
    const usage = sixth.body.usage as { jobsRemaining: number; dailyLimitResetsAt: string };
    expect(usage.jobsRemaining).toBe(0);
    const reset = Date.parse(usage.dailyLimitResetsAt);
    const runAt = Date.parse(sixth.body.runAt as unknown as string);
    expect(runAt).toBeGreaterThanOrEqual(reset);
    expect(runAt).toBeLessThanOrEqual(reset + 60_000);
    expect(sixth.body.message).toMatch(/Daily quota reached.*scheduled to run at/);
  });

  it('answers 503 with Retry-After when the queue is full, creating nothing', async () => {
    const { key } = await createKey('f', 'basic');
    expect((await submit(key, { queue: 'full' })).status).toBe(202);
    expect((await submit(key, { queue: 'full' })).status).toBe(202);
    const third = await submit(key, { queue: 'full' });
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toMatch(/^\d+$/);
    expect(third.body.error).toMatchObject({ code: 'JOBGATE_ERR_QUEUE_FULL' });
    expect((await server.engine.counts('full')).queued).toBe(2);
  });

  it('interleaves three tenants round robin at one worker', async () => {
    const keys = await Promise.all(['t1', 't2', 't3'].map((owner) => createKey(owner, 'basic')));
    for (const { key } of keys) {
      const res = await call('POST', '/api/v1/jobs/batch', key, {
        jobs: Array.from({ length: 50 }, () => ({ queue: 'rr' })),
      });
      expect(res.status).toBe(202);
    }
    const owners: string[] = [];
    for (let i = 0; i < 150; i++) {
      const [job] = await claimAll('rr', 1);
      owners.push(job!.owner);
      await server.engine.complete({ id: job!.id, token: job!.leaseToken }, null);
    }
    for (let i = 0; i < 150; i += 3) expect(new Set(owners.slice(i, i + 3)).size).toBe(3);
  });

  it('claims tenant B next while tenant A is at its limit with a large backlog', async () => {
    const { key: a } = await createKey('A', 'limited');
    const { key: b } = await createKey('B', 'basic');
    for (let i = 0; i < 5; i++)
      await call('POST', '/api/v1/jobs/batch', a, {
        jobs: Array.from({ length: 1000 }, () => ({ queue: 'hol' })),
      });
    expect((await claimAll('hol', 2)).map((j) => j.owner)).toEqual(['A', 'A']);
    const bJob = await submit(b, { queue: 'hol', priority: 10 });
    expect(bJob.body.position).toBe(1);
    const [next] = await claimAll('hol', 1);
    expect(next?.id).toBe(bJob.body.id);
  });

  it('isolates tenants: another tenant’s job is 404 everywhere; keys and roles are enforced', async () => {
    const { key: mine } = await createKey('me', 'basic');
    const { key: theirs, id: theirKeyId } = await createKey('them', 'basic');
    const job = await submit(theirs, { queue: 'iso' });
    for (const [method, path] of [
      ['GET', ''],
      ['POST', '/cancel'],
      ['POST', '/retry'],
      ['POST', '/confirm'],
    ] as const) {
      const res = await call(method, `/api/v1/jobs/${job.body.id}${path}`, mine);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await call('GET', '/api/v1/jobs', mine)).body.items).toEqual([]);
    expect((await call('GET', '/api/v1/jobs', adminKey)).body.items).toHaveLength(1);
    expect((await call('GET', '/api/v1/jobs', null)).status).toBe(401);
    expect(
      (await call('GET', '/api/v1/jobs', 'jg_000000000000_notarealkeynotarealkeynotarealkey00')).status,
    ).toBe(401);
    expect((await call('GET', '/api/v1/keys', mine)).status).toBe(403);
    const { key: worker } = await createKey('w', 'basic', 'worker');
    expect((await submit(worker, { queue: 'iso' })).status).toBe(403);
    expect((await call('DELETE', `/api/v1/keys/${theirKeyId}`, adminKey)).status).toBe(204);
    const revoked = await call('GET', `/api/v1/jobs/${job.body.id}`, theirs);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error).toMatchObject({ code: 'JOBGATE_ERR_UNAUTHORIZED' });
    expect((await call('GET', '/api/v1/keys', adminKey)).body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: theirKeyId, revokedAt: expect.any(String) })]),
    );
  });

  it('rate-limits a key with 429, Retry-After and X-RateLimit headers', async () => {
    const { key } = await createKey('r', 'slow');
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await call('GET', '/api/v1/usage', key);
      statuses.push(last.status);
      expect(last.headers['x-ratelimit-limit']).toBe('3');
      expect(last.headers['x-ratelimit-remaining']).toBeDefined();
      expect(last.headers['x-ratelimit-reset']).toBeDefined();
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last?.headers['retry-after']).toBe('1');
    expect(last?.body.error).toMatchObject({ code: 'JOBGATE_ERR_RATE_LIMITED' });
  });

  it('honours Idempotency-Key: same body → the same job, other body → 409', async () => {
    const { key } = await createKey('i', 'basic');
    const headers = { 'idempotency-key': 'order-42' };
    const first = await submit(key, { queue: 'idem', payload: { a: 1 } }, headers);
    const again = await submit(key, { payload: { a: 1 }, queue: 'idem' }, headers);
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const other = await submit(key, { queue: 'idem', payload: { a: 2 } }, headers);
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'JOBGATE_ERR_IDEMPOTENCY_CONFLICT' });
    expect((await server.engine.counts('idem')).queued).toBe(1);
  });

  it('holds follow-up iterations beyond the tier depth until confirmed', async () => {
    const { key } = await createKey('it', 'iter');
    const root = await submit(key, { queue: 'iter' });
    const child = await submit(key, { queue: 'iter', parentId: root.body.id });
    expect(child.body).toMatchObject({ status: 'queued', depth: 1 });
    const grandchild = await submit(key, { queue: 'iter', parentId: child.body.id });
    expect(grandchild.body).toMatchObject({ status: 'awaiting_confirmation', depth: 2 });
    const confirmed = await call('POST', `/api/v1/jobs/${grandchild.body.id}/confirm`, key);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe('queued');
    const again = await call('POST', `/api/v1/jobs/${grandchild.body.id}/confirm`, key);
    expect(again.status).toBe(409);
    const depth3 = await submit(key, { queue: 'iter', parentId: grandchild.body.id });
    expect(depth3.body.status).toBe('queued');
    const usage = await call('GET', '/api/v1/usage', key);
    expect(usage.body).toMatchObject({ iterationsUsed: 3 });
    const missingParent = await submit(key, { queue: 'iter', parentId: 'nope' });
    expect(missingParent.status).toBe(422);
  });
});

describe('configuration', () => {
  it('fails fast naming the bad field', () => {
    expect(() =>
      validateConfig({ tiers: { pro: { ...tier, dailyJobs: 'many' } }, defaultTier: 'pro' }),
    ).toThrow(/tiers\.pro\.dailyJobs/);
    expect(() => validateConfig({ tiers: { pro: { ...tier, burst: 0 } }, defaultTier: 'pro' })).toThrow(
      /tiers\.pro\.burst/,
    );
    expect(() => validateConfig({ tiers: { pro: tier }, defaultTier: 'gold' })).toThrow(/defaultTier "gold"/);
    expect(() => validateConfig({ queues: { q: { maxWorkers: 0 } } })).toThrow(/queues\.q\.maxWorkers/);
    expect(() => validateConfig({ surprise: 1 })).toThrow(/surprise/);
  });
});
