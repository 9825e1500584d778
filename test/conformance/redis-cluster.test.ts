import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { capacityConformance } from './capacity-conformance.js';
import { type StoreFactory, storeConformance } from './store-conformance.js';

// The same suites on Redis Cluster (one node with every slot, see startRedis): with the
// scripts' #!lua shebang, any script that touched keys of two slots would fail here.
let server: TestRedis;
beforeAll(async () => {
  server = await startRedis({ cluster: true });
});
afterAll(async () => {
  await server?.stop();
});

const cluster: StoreFactory = async () => {
  let now = Date.UTC(2026, 0, 15, 12, 0, 0);
  const store = new RedisStore({ url: server.url, prefix: `t-${randomUUID()}`, clock: () => now });
  await store.connect();
  return {
    store,
    advance: (ms: number) => {
      now += ms;
    },
    close: () => store.close(),
  };
};

storeConformance('redis cluster', cluster);
capacityConformance('redis cluster', cluster);
