/**
 * A whole Jobgate server (keys, rate limits, the worker registry, pools: what
 * `jobgate serve` composes) on a given store, for suites that go through every route
 * with app.inject(). It listens on a loopback port too (startServer does), which the
 * suites do not need.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { type RunningServer, type ServerOptions, startServer } from '../../src/cli/server.js';
import type { JobgateConfig } from '../../src/config/config-schema.js';
import { defaultConfig } from '../../src/config/config-schema.js';
import type { Role } from '../../src/engine/principal.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobStore } from '../../src/store/store.js';

export const fullServerAdminKey = 'jg-full-server-admin-key-0123456789';

export type StoreKind = 'sqlite' | 'redis';

export interface FullServer {
  server: RunningServer;
  app: FastifyInstance;
  store: JobStore;
  /** A new key through the API (POST /api/v1/keys), and its id. */
  createKey(role: Role, owner: string, tier?: string): Promise<{ key: string; id: string }>;
  /** app.inject with `key` as the bearer token (none when undefined). */
  call(key: string | undefined, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A config whose tiers allow the suites' request rates; `free` keeps the default limits otherwise. */
export function fullServerConfig(): JobgateConfig {
  const config = structuredClone(defaultConfig);
  for (const tier of Object.values(config.tiers)) {
    tier.ratePerMinute = 1_000_000;
    tier.burst = 1_000_000;
  }
  config.queues.demo = { maxWorkers: 4, maxQueued: 100_000 };
  return config;
}

export async function openStore(kind: StoreKind, redisUrl?: string): Promise<JobStore> {
  if (kind === 'sqlite') return new SqliteStore({ file: ':memory:' });
  if (!redisUrl) throw new Error('a Redis store needs the test redis-server URL');
  // A long call bound: these suites judge answers, not latency, on a loaded two-core machine.
  const store = new RedisStore({ url: redisUrl, prefix: `t-${randomUUID()}`, timeoutMs: 10_000 });
  await store.connect();
  return store;
}

export async function startFullServer(
  store: JobStore,
  options: { config?: JobgateConfig; demo?: boolean; workerPlane?: ServerOptions['workerPlane'] } = {},
): Promise<FullServer> {
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    db: ':memory:',
    demo: options.demo ?? true,
    config: options.config ?? fullServerConfig(),
    adminKey: fullServerAdminKey,
    logger: false,
    store,
    graceMs: 200,
    workerPlane: options.workerPlane,
    engine: { leaseMs: 2_000, intervals: { promoteMs: 50, reapMs: 100, purgeMs: 60_000 } },
  });
  const call: FullServer['call'] = (key, options) =>
    server.app.inject({
      ...options,
      headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...options.headers },
    });
  return {
    server,
    app: server.app,
    store,
    call,
    async createKey(role, owner, tier = 'free') {
      const answer = await call(fullServerAdminKey, {
        method: 'POST',
        url: '/api/v1/keys',
        payload: { owner, role, tier },
      });
      if (answer.statusCode !== 201) throw new Error(`key not created: ${answer.statusCode} ${answer.body}`);
      const body = answer.json() as { key: string; id?: string; record?: { id: string } };
      return { key: body.key, id: body.id ?? body.record?.id ?? '' };
    },
    close: () => server.close(),
  };
}
