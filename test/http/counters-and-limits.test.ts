/**
 * Counters, batches, cursors and tier limits through the HTTP API: what the answers
 * promise (iterationsRemaining, per-item batch results, X-RateLimit-Reset, unlimited
 * tiers, named allowed values) with real API keys and a tiers config.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { validateConfig } from '../../src/config/load-config.js';
import { openTier } from '../helpers/open-tier.js';

const adminKey = 'test-admin-key';
const tier = openTier;

describe('counters, batches and limits over HTTP', () => {
  let server: RunningServer;

  beforeEach(async () => {
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      db: ':memory:',
      demo: false,
      config: validateConfig({
        tiers: {
          basic: tier,
          iter: { ...tier, iterationDepth: 2, iterationBatch: 2 },
          slow: { ...tier, ratePerMinute: 60, burst: 3 },
          open: {
            ...tier,
            maxConcurrentPerUser: null,
            maxConcurrentPerProject: null,
            dailyJobs: null,
            iterationDepth: null,
            ratePerMinute: null,
            burst: null,
          },
          openMinusOne: { ...tier, ratePerMinute: -1, burst: -1 },
          tenantWide: { ...tier, maxConcurrentPerUser: 1, limitScope: 'tenant' },
        },
        defaultTier: 'basic',
      }),
      adminKey,
      engine: { leaseMs: 5_000, intervals: { promoteMs: 20, reapMs: 50, purgeMs: 60_000 } },
      graceMs: 500,
    });
  });
  afterEach(async () => {
    await server.close();
  });

  // biome-ignore lint/suspicious/noExplicitAny: the cases read JSON answers by path; typing each route's body would restate the schemas
  type Answer = { status: number; body: Record<string, any>; headers: Record<string, unknown> };
  const call = async (
    method: 'GET' | 'POST',
    url: string,
    key: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const response = await server.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, ...headers },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    return { status: response.statusCode, body: response.json(), headers: response.headers };
  };
  const createKey = async (owner: string, tierName: string): Promise<string> => {
    const created = await call('POST', '/api/v1/keys', adminKey, { owner, role: 'tenant', tier: tierName });
    expect(created.status).toBe(201);
    return created.body.key as string;
  };

  it('counts iterationsRemaining down along a chain: 0 at the confirmation point, a batch more after it', async () => {
    const key = await createKey('it', 'iter');
    const seen: Array<[string, number, number]> = [];
    const track = (answer: Answer) =>
      seen.push([
        answer.body.status,
        answer.body.usage.iterationsUsed,
        answer.body.usage.iterationsRemaining,
      ]);
    let parent = await call('POST', '/api/v1/jobs', key, { queue: 'iter' });
    track(parent);
    for (let i = 0; i < 3; i++) {
      parent = await call('POST', '/api/v1/jobs', key, { queue: 'iter', parentId: parent.body.id });
      track(parent);
    }
    // Depth 2 allowed: the root may have 2 follow-ups, the third awaits confirmation.
    expect(seen).toEqual([
      ['queued', 0, 2],
      ['queued', 1, 1],
      ['queued', 2, 0],
      ['awaiting_confirmation', 3, 0],
    ]);
    // A batch of 2 lets the chain reach depth 4: this job (depth 3) and one more.
    const confirmed = await call('POST', `/api/v1/jobs/${parent.body.id}/confirm`, key);
    expect(confirmed.body).toMatchObject({
      status: 'queued',
      usage: { iterationsUsed: 3, iterationsRemaining: 1 },
    });
    const next = await call('POST', '/api/v1/jobs', key, { queue: 'iter', parentId: parent.body.id });
    expect(next.body).toMatchObject({
      status: 'queued',
      usage: { iterationsUsed: 4, iterationsRemaining: 0 },
    });
    const beyond = await call('POST', '/api/v1/jobs', key, { queue: 'iter', parentId: next.body.id });
    expect(beyond.body).toMatchObject({ status: 'awaiting_confirmation', usage: { iterationsRemaining: 0 } });
    // Without a job, usage tells a new chain's allowance.
    expect((await call('GET', '/api/v1/usage', key)).body).toMatchObject({ iterationsRemaining: 2 });
  });

  it('gives a schema-invalid batch item its own error and admits the others', async () => {
    const key = await createKey('b', 'basic');
    const answer = await call('POST', '/api/v1/jobs/batch', key, {
      jobs: [
        { queue: 'batch' },
        { queue: 'batch', priority: 99 },
        { queue: 'batch', surprise: true },
        { queue: 'bad name!' },
        'not an object',
        { queue: 'batch', runAt: 'tomorrow' },
        { queue: 'batch', payload: { n: 6 } },
      ],
    });
    expect(answer.status).toBe(202);
    const items = answer.body.items as Array<{ status: string; error?: { code: string; message: string } }>;
    expect(items.map((item) => item.status)).toEqual([
      'accepted',
      'error',
      'error',
      'error',
      'error',
      'error',
      'accepted',
    ]);
    for (const index of [1, 2, 3, 4, 5])
      expect(items[index]!.error).toMatchObject({
        code: 'JOBGATE_ERR_VALIDATION',
        message: expect.stringContaining(`jobs[${index}]`),
      });
    expect(items[1]!.error!.message).toMatch(/priority/);
    expect(items[2]!.error!.message).toMatch(/surprise/);
    expect((await server.engine.counts('batch')).queued).toBe(2);
  });

  it('dedupes batch items by their own idempotencyKey and by the request Idempotency-Key', async () => {
    const key = await createKey('i', 'basic');
    const body = {
      jobs: [
        { queue: 'idem', payload: 1 },
        { queue: 'idem', payload: 2, idempotencyKey: 'own' },
      ],
    };
    const headers = { 'idempotency-key': 'batch-7' };
    const first = await call('POST', '/api/v1/jobs/batch', key, body, headers);
    const again = await call('POST', '/api/v1/jobs/batch', key, body, headers);
    expect(first.body.items.map((item: { status: string }) => item.status)).toEqual(['accepted', 'accepted']);
    expect(again.body.items.map((item: { job: { id: string } }) => item.job.id)).toEqual(
      first.body.items.map((item: { job: { id: string } }) => item.job.id),
    );
    expect(again.body.items.map((item: { duplicate?: boolean }) => item.duplicate)).toEqual([true, true]);
    expect((await server.engine.counts('idem')).queued).toBe(2);
    // An item's own key is the owner's, shared with single submits.
    const single = await call(
      'POST',
      '/api/v1/jobs',
      key,
      { queue: 'idem', payload: 2 },
      { 'idempotency-key': 'own' },
    );
    expect(single.status).toBe(200);
    expect(single.body.id).toBe(first.body.items[1].job.id);
    // Another body under the same keys: each changed item answers its own 409.
    const changed = await call(
      'POST',
      '/api/v1/jobs/batch',
      key,
      { jobs: [{ queue: 'idem', payload: 'changed' }, body.jobs[1]] },
      headers,
    );
    expect(changed.body.items[0]).toMatchObject({
      status: 'error',
      error: { code: 'JOBGATE_ERR_IDEMPOTENCY_CONFLICT' },
    });
    expect(changed.body.items[1]).toMatchObject({ status: 'accepted', duplicate: true });
    // Without any key, two identical batches make two jobs each time.
    await call('POST', '/api/v1/jobs/batch', key, { jobs: [{ queue: 'plain' }] });
    await call('POST', '/api/v1/jobs/batch', key, { jobs: [{ queue: 'plain' }] });
    expect((await server.engine.counts('plain')).queued).toBe(2);
  });

  it('rejects a list cursor under another filter with 400, and pages under its own', async () => {
    const key = await createKey('c', 'basic');
    for (const queue of ['x', 'x', 'x', 'y']) await call('POST', '/api/v1/jobs', key, { queue });
    const page = await call('GET', '/api/v1/jobs?queue=x&limit=2', key);
    const cursor = page.body.nextCursor as string;
    const other = await call('GET', `/api/v1/jobs?queue=y&limit=2&cursor=${cursor}`, key);
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({
      code: 'JOBGATE_ERR_BAD_REQUEST',
      message: expect.stringMatching(/another filter/),
    });
    const next = await call('GET', `/api/v1/jobs?queue=x&limit=2&cursor=${cursor}`, key);
    expect(next.body.items).toHaveLength(1);
  });

  it('says X-RateLimit-Reset = seconds until the bucket is full, on a 429 too; Retry-After until the next token', async () => {
    const key = await createKey('r', 'slow');
    const answers: Answer[] = [];
    for (let i = 0; i < 4; i++) answers.push(await call('GET', '/api/v1/usage', key));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0', '0']);
    // 3 tokens, one per second: empty after the third request, full 3 s later.
    expect(answers[2]!.headers['x-ratelimit-reset']).toBe('3');
    expect(answers[3]!.headers['x-ratelimit-reset']).toBe('3');
    expect(answers[3]!.headers['retry-after']).toBe('1');
    expect(answers[3]!.body.error.message).toMatch(/retry in 1 s/);
  });

  it('takes null and -1 as unlimited for every tier limit', async () => {
    for (const tierName of ['open', 'openMinusOne']) {
      const key = await createKey(`u-${tierName}`, tierName);
      const statuses = new Set<number>();
      for (let i = 0; i < 5; i++) {
        const answer = await call('GET', '/api/v1/usage', key);
        statuses.add(answer.status);
        expect(answer.headers['x-ratelimit-limit'], tierName).toBeUndefined();
      }
      expect(statuses).toEqual(new Set([200]));
    }
    const key = await createKey('u', 'open');
    const job = await call('POST', '/api/v1/jobs', key, { queue: 'open' });
    expect(job.body.usage).toMatchObject({ jobsRemaining: null, iterationsRemaining: null });
  });

  it('holds a tier with limitScope "tenant" across queues', async () => {
    const key = await createKey('t', 'tenantWide');
    for (const queue of ['gpu', 'cpu'])
      expect((await call('POST', '/api/v1/jobs', key, { queue })).status).toBe(202);
    const claim = (queue: string) => server.engine.claim({ queue, workerId: 'w', limit: 5 });
    const [running] = await claim('gpu');
    expect(running?.owner).toBe('t');
    expect(await claim('cpu')).toEqual([]);
    await server.engine.complete({ id: running!.id, token: running!.leaseToken }, null);
    expect(await claim('cpu')).toHaveLength(1);
  });

  it('names the allowed values of an enumerated query field', async () => {
    const answer = await call('GET', '/api/v1/jobs?status=bogus', adminKey);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('JOBGATE_ERR_VALIDATION');
    expect(answer.body.error.message).toMatch(
      /^querystring\.status must be one of: scheduled, queued, running, completed, failed, cancelled, awaiting_confirmation/,
    );
    expect(answer.body.error.details.allowed).toContain('queued');
  });
});

describe('tier limits in the config', () => {
  it('accepts null and -1 as unlimited and still refuses nonsense', () => {
    const ok = validateConfig({
      tiers: { t: { ...tier, dailyJobs: null, ratePerMinute: null, burst: -1, maxConcurrentPerUser: null } },
      defaultTier: 't',
    });
    expect(ok.tiers.t).toMatchObject({ dailyJobs: null, ratePerMinute: null, burst: -1 });
    expect(() => validateConfig({ tiers: { t: { ...tier, ratePerMinute: 0 } }, defaultTier: 't' })).toThrow(
      /tiers\.t\.ratePerMinute/,
    );
    expect(() => validateConfig({ tiers: { t: { ...tier, dailyJobs: -2 } }, defaultTier: 't' })).toThrow(
      /tiers\.t\.dailyJobs/,
    );
    expect(
      validateConfig({ tiers: { t: { ...tier, limitScope: 'tenant' } }, defaultTier: 't' }).tiers.t,
    ).toMatchObject({
      limitScope: 'tenant',
    });
    expect(() =>
      validateConfig({ tiers: { t: { ...tier, limitScope: 'global' } }, defaultTier: 't' }),
    ).toThrow(/tiers\.t\.limitScope/);
  });
});
