/**
 * The store and capacity suites against a real redis-server the file starts: a plain
 * Redis, or a one-node Redis Cluster (see startRedis) where Redis refuses any function
 * (our scripts) that touches keys of two slots.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { artifactMetaConformance } from './artifact-meta-conformance.js';
import { capacityConformance } from './capacity-conformance.js';
import { leaseBindingConformance } from './lease-binding-conformance.js';
import { queuePolicyConformance } from './queue-policy-conformance.js';
import { queueRegistryConformance } from './queue-registry-conformance.js';
import { type SharedStoresFactory, scheduleConformance } from './schedule-conformance.js';
import { type StoreFactory, storeConformance } from './store-conformance.js';
import { webhookConformance } from './webhook-conformance.js';

export function redisConformance(name: string, options: { cluster: boolean }): void {
  let server: TestRedis;
  beforeAll(async () => {
    server = await startRedis(options);
  });
  afterAll(async () => {
    await server?.stop();
  });

  // Each test gets its own key prefix on one real server, and a fixed clock as the SQLite cases do.
  const factory: StoreFactory = async () => {
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

  storeConformance(name, factory);
  capacityConformance(name, factory);
  queueRegistryConformance(name, factory);
  leaseBindingConformance(name, factory);
  // Three stores on one prefix: three servers on one Redis.
  const shared: SharedStoresFactory = async () => {
    let now = Date.UTC(2026, 0, 15, 12, 0, 0);
    const prefix = `t-${randomUUID()}`;
    const open = async () => {
      const store = new RedisStore({ url: server.url, prefix, clock: () => now });
      await store.connect();
      return store;
    };
    const stores = [await open(), await open(), await open()] as const;
    return {
      stores: [...stores],
      advance: (ms) => {
        now += ms;
      },
      now: () => now,
      close: async () => {
        for (const store of stores) await store.close();
      },
    };
  };
  scheduleConformance(name, shared);
  queuePolicyConformance(name, shared);
  webhookConformance(name, factory);
  artifactMetaConformance(name, factory);
}
