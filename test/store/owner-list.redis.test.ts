/**
 * An owner's jobs in a queue are a Redis list of ids (see appendOwnerJobs in
 * admission.lua). Listing skips an id whose job is gone, so a removal that left its id
 * behind would pass every listing test and only leak: this checks the list itself holds
 * exactly the owner's jobs after retention and a cleared queue have removed some.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisKeys } from '../../src/store/redis/redis-keys.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { request } from '../conformance/store-conformance.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

let server: TestRedis;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

it("keeps an owner's list to the owner's jobs when jobs are purged or cleared", async () => {
  let now = Date.UTC(2026, 0, 15, 12, 0, 0);
  const prefix = `t-${randomUUID()}`;
  const store = new RedisStore({ url: server.url, prefix, clock: () => now });
  await store.connect();
  try {
    const results = await store.admit(Array.from({ length: 30 }, () => request({ owner: 'erin' })));
    const ids = results.map((result) => (result.kind === 'error' ? '' : result.job.id));
    const claimed = await store.claim({ queue: 'q', workerId: 'w', limit: 10, leaseMs: 60_000 });
    for (const job of claimed) await store.complete({ id: job.id, token: job.leaseToken, result: null });
    now += 1_000;
    expect(await store.purge({ completedBefore: now, failedBefore: now, limit: 4 })).toBe(4);
    expect(await store.clearQueue({ queue: 'q', limit: 5 })).toHaveLength(5);
    const list = redisKeys(prefix).ownerJobs('q', 'erin');
    const listed = await store.redis.lrange(list, 0, -1);
    const alive = [];
    for (const id of ids) if (await store.get(id)) alive.push(id);
    expect(alive).toHaveLength(21);
    expect(listed).toEqual(alive);
  } finally {
    await store.close();
  }
});
