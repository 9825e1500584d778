/**
 * Lone UTF-16 surrogates (`"\ud800"`, valid JSON, not valid Unicode) in any request body
 * answer 400 on every store — a worker's version and labels and a progress stage and
 * message used to answer 500 on Redis — while a proper pair (an emoji) is stored and
 * read back as sent.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { WorkerRegistry } from '../../src/engine/worker-registry.js';
import { buildApp } from '../../src/http/app.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobStore } from '../../src/store/store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

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
      const store = new RedisStore({ url: redis.url, prefix: `u-${randomUUID()}`, timeoutMs: 10_000 });
      await store.connect();
      return store;
    },
  ],
];

const lone = '\ud800';
const pair = '\ud83d\ude00';

describe.each(stores)('unicode in request bodies on %s', (_name, makeStore) => {
  let store: JobStore;
  let engine: Engine;
  let app: FastifyInstance;
  beforeAll(async () => {
    store = await makeStore();
    engine = new Engine({ store });
    app = await buildApp({ engine, workerRegistry: new WorkerRegistry({ engine }) });
  });
  afterAll(async () => {
    await app?.close();
    await engine?.stop();
    await store?.close();
  });

  // JSON.stringify writes a lone surrogate as the escape \ud800: valid JSON text.
  const post = (url: string, body: unknown) =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });

  async function leasedJob() {
    const worker = (await post('/api/v1/workers', { queues: ['uq'], concurrency: 1 })).json<{
      worker: { id: string };
    }>().worker.id;
    expect((await post('/api/v1/jobs', { queue: 'uq' })).statusCode).toBe(202);
    const lease = await post(`/api/v1/workers/${worker}/lease`, { max: 1, waitMs: 0 });
    const [job] = lease.json<{ jobs: Array<{ id: string; leaseToken: string }> }>().jobs;
    return { worker, job: job! };
  }

  it.each([
    ['a worker version', { queues: ['uq'], concurrency: 1, version: `v${lone}` }, 'body.version'],
    ['a worker label', { queues: ['uq'], concurrency: 1, labels: { gpu: lone } }, 'body.labels.gpu'],
    ['a label name', { queues: ['uq'], concurrency: 1, labels: { [lone]: 'x' } }, 'body.labels (a key)'],
  ])('refuses %s with a lone surrogate (400)', async (_what, body, where) => {
    const response = await post('/api/v1/workers', body);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'JOBGATE_ERR_VALIDATION' } });
    expect(response.json<{ error: { message: string } }>().error.message).toContain(where);
  });

  it('refuses a progress stage or message with a lone surrogate, and keeps the lease', async () => {
    const { worker, job } = await leasedJob();
    for (const body of [
      { token: job.leaseToken, percent: 10, stage: `s${lone}` },
      { token: job.leaseToken, percent: 10, message: `${lone}m` },
    ]) {
      const response = await post(`/api/v1/workers/${worker}/jobs/${job.id}/progress`, body);
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'JOBGATE_ERR_VALIDATION' } });
    }
    const ok = await post(`/api/v1/workers/${worker}/jobs/${job.id}/progress`, {
      token: job.leaseToken,
      percent: 20,
      stage: `render ${pair}`,
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const read = await app.inject({ method: 'GET', url: `/api/v1/jobs/${job.id}` });
    expect(read.json<{ progress: { stage: string } }>().progress.stage).toBe(`render ${pair}`);
  });

  it('refuses a submit whose payload holds one, deep inside', async () => {
    const response = await post('/api/v1/jobs', { queue: 'uq', payload: { a: [1, { b: `x${lone}` }] } });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json<{ error: { message: string } }>().error.message).toContain('body.payload.a[1].b');
  });

  it('stores a worker with proper pairs as sent', async () => {
    const response = await post('/api/v1/workers', {
      queues: ['uq'],
      concurrency: 1,
      version: `v${pair}`,
      labels: { tier: pair },
    });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json()).toMatchObject({ worker: { version: `v${pair}`, labels: { tier: pair } } });
  });
});
