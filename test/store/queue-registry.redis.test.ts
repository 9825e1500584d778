/**
 * The Redis store's queue registry (which shards the promote/reap/purge sweeps visit) must
 * heal itself when Redis loses it, e.g. after a restart without persistence: a server that
 * keeps admitting into a queue it already knows must not strand those jobs.
 */
import { expect, it } from 'vitest';
import { redisKeys } from '../../src/store/redis/redis-keys.js';
import { admitOk, request } from '../conformance/store-conformance.js';
import { clockedRedisStores } from '../helpers/clocked-redis-stores.js';

const stores = clockedRedisStores();

it('promotes jobs admitted after the queue registry was lost', () =>
  stores.withStore(async (store, clock, prefix) => {
    await admitOk(store, request({ queue: 'lost', delayMs: 1_000 }));
    await store.redis.del(redisKeys(prefix).queues);
    const late = await admitOk(store, request({ queue: 'lost', delayMs: 1_000 }));
    clock.now += 1_000;
    const promoted = await store.promoteDue({ limit: 10 });
    expect(promoted.map((job) => job.id)).toContain(late.job.id);
    expect(promoted).toHaveLength(2);
    expect(await store.queues()).toEqual(['lost']);
  }));
