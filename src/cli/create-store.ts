/**
 * Picks the store from a URL: `redis://…`, `rediss://…` or `redis+cluster://host:port,…`
 * (Redis Cluster, Valkey cluster) → the Redis store, anything else → the embedded SQLite
 * file. The store comes back unconnected, with the way to connect it: a Redis that is not
 * there yet is waited for (store-startup.ts), not a reason to exit.
 */
import type { FairnessSettings } from '../domain/fair-share.js';
import { RedisStore } from '../store/redis/redis-store.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { JobStore } from '../store/store.js';

export function isRedisUrl(url: string | undefined): url is string {
  return url !== undefined && /^(rediss?|redis\+cluster):\/\//.test(url);
}

export interface CreatedStore {
  store: JobStore;
  /**
   * Resolves once the store answers (at once for SQLite); `onFailure` hears why each
   * attempt failed meanwhile. Warns when Redis may evict keys: with any
   * `maxmemory-policy` but `noeviction`, Redis can silently drop jobs under memory pressure.
   */
  connect(onFailure: (error: Error) => void, signal: AbortSignal): Promise<void>;
}

export function createStore(options: {
  storeUrl?: string;
  db: string;
  fairness: FairnessSettings;
  warn: (message: string) => void;
  /** A Redis call's longest wait (JOBGATE_STORE_TIMEOUT_MS); the store's default when absent. */
  timeoutMs?: number;
}): CreatedStore {
  if (!isRedisUrl(options.storeUrl)) {
    return {
      store: new SqliteStore({ file: options.db, fairness: options.fairness }),
      connect: async () => {},
    };
  }
  const store = new RedisStore({
    url: options.storeUrl,
    fairness: options.fairness,
    timeoutMs: options.timeoutMs,
  });
  return {
    store,
    async connect(onFailure, signal) {
      await store.connectWhenReachable(onFailure, signal);
      const policy = await store.maxmemoryPolicy().catch(() => null);
      if (policy !== null && policy !== 'noeviction') {
        options.warn(
          `Redis maxmemory-policy is "${policy}": under memory pressure Redis may evict jobs. Set maxmemory-policy noeviction (docs/SCALING.md).`,
        );
      }
    },
  };
}
