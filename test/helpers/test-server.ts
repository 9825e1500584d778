/** An in-process Jobgate (SQLite :memory: or a temp file) for HTTP tests via app.inject(). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Engine, type EngineConfig } from '../../src/engine/engine.js';
import { buildApp } from '../../src/http/app.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { InProcessWorkers } from '../../src/worker/in-process-workers.js';

export interface TestServer {
  app: FastifyInstance;
  engine: Engine;
  store: SqliteStore;
  workers: InProcessWorkers;
  close(): Promise<void>;
}

export function tempDbFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'jobgate-test-')), 'jobgate.db');
}

export async function createTestServer(
  options: {
    engine?: Omit<EngineConfig, 'store'>;
    file?: string;
    /** A store of the test's own (e.g. one that plays a race); default a fresh SQLite store. */
    store?: SqliteStore;
    setup?: (workers: InProcessWorkers) => void;
  } = {},
): Promise<TestServer> {
  const store = options.store ?? new SqliteStore({ file: options.file ?? ':memory:' });
  const engine = new Engine({
    leaseMs: 2_000,
    intervals: { promoteMs: 20, reapMs: 50, purgeMs: 60_000 },
    retry: { baseDelayMs: 20, factor: 2, maxDelayMs: 200, jitter: 0 },
    ...options.engine,
    store,
  });
  const workers = new InProcessWorkers(engine);
  engine.setWorkerDirectory(workers);
  options.setup?.(workers);
  const app = await buildApp({ engine });
  engine.start();
  workers.start();
  return {
    app,
    engine,
    store,
    workers,
    async close() {
      await app.close();
      await workers.stop(1_000);
      await engine.stop();
      await store.close();
    },
  };
}
