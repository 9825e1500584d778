/**
 * For Redis store tests that move the store's clock: one redis-server for the file's
 * tests, and fresh stores on it (each its own key prefix) on a test clock, closed after use.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { startRedis, type TestRedis } from './redis-server.js';

export interface TestClock {
  now: number;
}

export function clockedRedisStores() {
  let server: TestRedis | undefined;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    /** A connected store whose clock reads `clock.now`; `prefix` is its key prefix. */
    async withStore(
      use: (store: RedisStore, clock: TestClock, prefix: string) => Promise<void>,
    ): Promise<void> {
      const clock: TestClock = { now: Date.UTC(2026, 0, 15, 12, 0, 0) };
      const prefix = `t-${randomUUID()}`;
      const store = new RedisStore({ url: server!.url, prefix, clock: () => clock.now });
      await store.connect();
      try {
        await use(store, clock, prefix);
      } finally {
        await store.close();
      }
    },
  };
}
