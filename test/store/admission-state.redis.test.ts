/**
 * An admission keeps its working tables across script calls (startAdmissions in
 * admission.lua empties them; the keys a call builds are kept while the shard, queue and
 * owner repeat). Two stores with their own key prefixes on one Redis admit for the same
 * queue and owner in turn: each call must build its keys under its own prefix, or one
 * store's jobs would be filed in the other's indexes.
 */
import { expect, it } from 'vitest';
import { redisKeys } from '../../src/store/redis/redis-keys.js';
import { request } from '../conformance/store-conformance.js';
import { clockedRedisStores } from '../helpers/clocked-redis-stores.js';

const stores = clockedRedisStores();

it('files each store’s jobs under its own prefix when two stores admit in turn', () =>
  stores.withStore((a, _clockA, prefixA) =>
    stores.withStore(async (b, _clockB, prefixB) => {
      const ids = { a: [] as string[], b: [] as string[] };
      for (let round = 0; round < 3; round++) {
        for (const [name, store] of [
          ['a', a],
          ['b', b],
        ] as const) {
          const results = await store.admit([request({ owner: 'erin' }), request({ owner: 'erin' })]);
          for (const result of results) if (result.kind !== 'error') ids[name].push(result.job.id);
        }
      }
      expect(await a.redis.lrange(redisKeys(prefixA).ownerJobs('q', 'erin'), 0, -1)).toEqual(ids.a);
      expect(await b.redis.lrange(redisKeys(prefixB).ownerJobs('q', 'erin'), 0, -1)).toEqual(ids.b);
      expect((await a.counts('q')).queued).toBe(6);
      expect((await b.counts('q')).queued).toBe(6);
      const claimed = await b.claim({ queue: 'q', workerId: 'w', limit: 10, leaseMs: 60_000 });
      expect(claimed.map((job) => job.id).sort()).toEqual([...ids.b].sort());
    }),
  ));
