/**
 * Picks the store from a URL: `redis://…`, `rediss://…` or `redis+cluster://host:port,…`
 * (Redis Cluster, Valkey cluster) → the Redis store, anything else → the embedded SQLite file. Warns when Redis may evict keys: with any
 * `maxmemory-policy` but `noeviction`, Redis can silently drop jobs under memory pressure.
 */
import type { FairnessSettings } from '../domain/fair-share.js';
import { RedisStore } from '../store/redis/redis-store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { JobStore } from '../store/store.js';

export function isRedisUrl(url: string | undefined): url is string {
  return url !== undefined && /^(rediss?|redis\+cluster):\/\//.test(url);
}

export async function createStore(options: {
  storeUrl?: string;
  db: string;
  fairness: FairnessSettings;
  warn: (message: string) => void;
}): Promise<JobStore> {
  if (!isRedisUrl(options.storeUrl)) return new SqliteStore({ file: options.db, fairness: options.fairness });
  const store = new RedisStore({ url: options.storeUrl, fairness: options.fairness });
  await store.connect();
  const policy = await store.maxmemoryPolicy().catch(() => null);
  if (policy !== null && policy !== 'noeviction') {
    options.warn(
      `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict jobs. Set maxmemory-policy noeviction (docs/SCALING.md).`,
    );
  }
  return store;
}
