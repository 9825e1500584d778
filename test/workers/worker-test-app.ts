/**
 * An app with API keys and the worker registry, on SQLite :memory:, for protocol tests
 * through app.inject(): short leases, fast reaper, a worker, a tenant and an admin key.
 */
import type { FastifyInstance } from 'fastify';
import { ApiKeys } from '../../src/engine/api-keys.js';
import { Engine, type EngineConfig } from '../../src/engine/engine.js';
import { WorkerRegistry, type WorkerRegistryConfig } from '../../src/engine/worker-registry.js';
import { buildApp } from '../../src/http/app.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

export const adminKey = 'jg-worker-test-admin-key';

/** Answers are read field by field in assertions; their shapes are checked by the route schemas. */
// biome-ignore lint/suspicious/noExplicitAny: a loosely read JSON answer in tests
export type Answer = any;

export interface WorkerTestApp {
  app: FastifyInstance;
  engine: Engine;
  store: SqliteStore;
  registry: WorkerRegistry;
  workerKey: string;
  tenantKey: string;
  call(
    method: 'GET' | 'POST' | 'DELETE' | 'PATCH',
    url: string,
    key: string,
    body?: unknown,
  ): Promise<{ status: number; body: Answer }>;
  close(): Promise<void>;
}

export async function createWorkerTestApp(
  options: { engine?: Omit<EngineConfig, 'store'>; registry?: Omit<WorkerRegistryConfig, 'engine'> } = {},
): Promise<WorkerTestApp> {
  const store = new SqliteStore({ file: ':memory:' });
  const engine = new Engine({
    leaseMs: 1_000,
    intervals: { promoteMs: 20, reapMs: 50, purgeMs: 60_000 },
    retry: { baseDelayMs: 20, factor: 2, maxDelayMs: 200, jitter: 0 },
    ...options.engine,
    store,
  });
  const registry = new WorkerRegistry({ recheckMs: 200, ...options.registry, engine });
  const keys = new ApiKeys(store, { bootstrapAdminKey: adminKey, tiers: ['free'] });
  const app = await buildApp({ engine, keys, workerRegistry: registry });
  engine.start();
  const call: WorkerTestApp['call'] = async (method, url, key, body) => {
    const response = await app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      payload: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };
  const workerKey = (await keys.create({ owner: 'gpu-farm', role: 'worker', tier: 'free' })).key;
  const tenantKey = (await keys.create({ owner: 'acme', role: 'tenant', tier: 'free' })).key;
  return {
    app,
    engine,
    store,
    registry,
    workerKey,
    tenantKey,
    call,
    async close() {
      await app.close();
      await engine.stop();
      await store.close();
    },
  };
}
