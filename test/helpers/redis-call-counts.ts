/**
 * For tests that count script calls: one redis-server for the file's tests, an admin
 * client that reads its command counts, and fresh stores on it (each its own key prefix).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { startRedis, type TestRedis } from './redis-server.js';

export function redisCallCounts() {
  let server: TestRedis | undefined;
  let admin: Redis | undefined;
  beforeAll(async () => {
    server = await startRedis();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin?.disconnect();
    await server?.stop();
  });
  return {
    /** The FCALLs the server has run so far (script calls, whichever function). */
    async fcalls(): Promise<number> {
      return Number(/cmdstat_fcall:calls=(\d+)/.exec(await admin!.info('commandstats'))?.[1] ?? 0);
    },
    /** A connected store on the server, closed after `use`. */
    async withStore(use: (store: RedisStore) => Promise<void>): Promise<void> {
      const store = new RedisStore({ url: server!.url, prefix: `t-${randomUUID()}` });
      await store.connect();
      try {
        await use(store);
      } finally {
        await store.close();
      }
    },
  };
}
