/**
 * The Redis store's scripts are one function library (FUNCTION LOAD, see
 * scripts/build-lua.mjs). Redis loses it on a restart without persistence, or a new
 * cluster node never had it: the store must load it again and answer the call, not fail.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { libraryName } from '../../src/store/redis/generated/scripts.js';
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

const loadedLibraries = async (store: RedisStore) =>
  ((await store.redis.call('FUNCTION', 'LIST')) as unknown[][]).map((library) => library[1]);

it('loads the library at connect, once for many stores', async () => {
  const stores = [1, 2].map(() => new RedisStore({ url: server.url, prefix: `t-${randomUUID()}` }));
  try {
    await Promise.all(stores.map((store) => store.connect()));
    expect(await loadedLibraries(stores[0]!)).toContain(libraryName);
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
});

it('loads the library again when Redis lost it, and the call goes through', async () => {
  const store = new RedisStore({ url: server.url, prefix: `t-${randomUUID()}` });
  await store.connect();
  try {
    await store.redis.call('FUNCTION', 'FLUSH');
    expect(await loadedLibraries(store)).toEqual([]);
    // Concurrent calls share one reload.
    const admitted = await Promise.all([1, 2, 3].map(() => admitOk(store, request({ queue: 'reload' }))));
    expect(new Set(admitted.map((a) => a.job.id)).size).toBe(3);
    expect(await loadedLibraries(store)).toEqual([libraryName]);
    const [claimed] = await store.claim({ queue: 'reload', workerId: 'w', limit: 1, leaseMs: 30_000 });
    expect(claimed?.id).toBe(admitted[0]!.job.id);
  } finally {
    await store.close();
  }
});
