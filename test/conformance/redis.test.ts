import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { capacityConformance } from './capacity-conformance.js';
import { type StoreFactory, storeConformance } from './store-conformance.js';

let server: TestRedis;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

// Each test gets its own key prefix on one real redis-server, and a fixed clock as the SQLite cases do.
const redis: StoreFactory = async () => {
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

storeConformance('redis', redis);
capacityConformance('redis', redis);
