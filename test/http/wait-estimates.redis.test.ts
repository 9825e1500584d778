/**
 * The estimated wait on the Redis store (a real redis-server): the owner's limit read
 * through the Redis listings, and the reasons a job cannot start (see wait-estimates.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/http/app.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { unlimitedOwner } from '../../src/store/store.js';
import { InProcessWorkers } from '../../src/worker/in-process-workers.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

async function start(held: Array<() => void>): Promise<FastifyInstance> {
  // A loaded test machine: a generous call deadline (the default 1 s is for outages, not this test).
  const store = new RedisStore({ url: redis.url, prefix: `wait-${randomUUID()}`, timeoutMs: 10_000 });
  await store.connect();
  const engine = new Engine({
    store,
    leaseMs: 2_000,
    capacityFor: () => 4,
    limitsFor: () => ({ ...unlimitedOwner, maxConcurrentPerUser: 1 }),
  });
  const workers = new InProcessWorkers(engine);
  workers.register('render', () => new Promise((resolve) => held.push(() => resolve(null))), {
    concurrency: 4,
  });
  const app = await buildApp({ engine });
  engine.start();
  workers.start();
  close = async () => {
    for (const release of held.splice(0)) release();
    await app.close();
    await workers.stop(1_000);
    await engine.stop();
    await store.close();
  };
  return app;
}

describe('estimated wait (redis)', () => {
  it('counts the owner’s limit and says why a job cannot start', async () => {
    const held: Array<() => void> = [];
    const app = await start(held);
    const submit = async (queue: string) => {
      const response = await app.inject({ method: 'POST', url: '/api/v1/jobs', payload: { queue } });
      expect(response.statusCode, response.body).toBe(202);
      return response.json<{
        status: string;
        position: number | null;
        estimatedWait: Record<string, unknown>;
      }>();
    };
    await submit('render');
    await waitFor(() => held.length === 1, { message: 'the first job running' });
    const second = await submit('render');
    const third = await submit('render');
    expect(second).toMatchObject({ status: 'queued', position: 1, estimatedWait: { seconds: 1 } });
    expect(third.estimatedWait).toMatchObject({ seconds: 2 });
    expect((await submit('nobody')).estimatedWait).toMatchObject({ seconds: null, reason: 'no_workers' });
    await app.inject({ method: 'POST', url: '/api/v1/queues/render/pause' });
    expect((await submit('render')).estimatedWait).toMatchObject({ seconds: null, reason: 'paused' });
  });
});
