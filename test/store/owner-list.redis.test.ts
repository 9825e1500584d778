/**
 * An owner's jobs in a queue are a Redis list of ids (see appendOwnerJobs in
 * admission.lua). Listing skips an id whose job is gone, so a removal that left its id
 * behind would pass every listing test and only leak: this checks the list itself holds
 * exactly the owner's jobs after retention and a cleared queue have removed some.
 */
import { expect, it } from 'vitest';
import { redisKeys } from '../../src/store/redis/redis-keys.js';
import { request } from '../conformance/store-conformance.js';
import { clockedRedisStores } from '../helpers/clocked-redis-stores.js';

const stores = clockedRedisStores();

it("keeps an owner's list to the owner's jobs when jobs are purged or cleared", () =>
  stores.withStore(async (store, clock, prefix) => {
    const results = await store.admit(Array.from({ length: 30 }, () => request({ owner: 'erin' })));
    const ids = results.map((result) => (result.kind === 'error' ? '' : result.job.id));
    const claimed = await store.claim({ queue: 'q', workerId: 'w', limit: 10, leaseMs: 60_000 });
    for (const job of claimed) await store.complete({ id: job.id, token: job.leaseToken, result: null });
    clock.now += 1_000;
    expect(await store.purge({ completedBefore: clock.now, failedBefore: clock.now, limit: 4 })).toBe(4);
    expect(await store.clearQueue({ queue: 'q', limit: 5 })).toHaveLength(5);
    const listed = await store.redis.lrange(redisKeys(prefix).ownerJobs('q', 'erin'), 0, -1);
    const alive = [];
    for (const id of ids) if (await store.get(id)) alive.push(id);
    expect(alive).toHaveLength(21);
    expect(listed).toEqual(alive);
  }));
