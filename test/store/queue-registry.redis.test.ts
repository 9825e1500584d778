/**
 * The Redis store's queue registry (which shards the promote/reap/purge sweeps visit) must
 * heal itself when Redis loses it, e.g. after a restart without persistence: a server that
 * keeps admitting into a queue it already knows must not strand those jobs.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisKeys } from '../../src/store/redis/redis-keys.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { admitOk, request } from '../conformance/store-conformance.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

let server: TestRedis;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

it('promotes jobs admitted after the queue registry was lost', async () => {
  let now = Date.UTC(2026, 0, 15, 12, 0, 0);
  const prefix = `t-${randomUUID()}`;
  const store = new RedisStore({ url: server.url, prefix, clock: () => now });
  await store.connect();
  try {
    await admitOk(store, request({ queue: 'lost', delayMs: 1_000 }));
    await store.redis.del(redisKeys(prefix).queues);
    const late = await admitOk(store, request({ queue: 'lost', delayMs: 1_000 }));
    now += 1_000;
    const promoted = await store.promoteDue({ limit: 10 });
    expect(promoted.map((job) => job.id)).toContain(late.job.id);
    expect(promoted).toHaveLength(2);
    expect(await store.queues()).toEqual(['lost']);
  } finally {
    await store.close();
  }
});
