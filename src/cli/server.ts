/**
 * Composes a running Jobgate: store → engine → in-process workers → HTTP app. Used by
 * `jobgate serve` and by tests that need a whole server in-process.
 */
import type { FastifyInstance } from 'fastify';
import { demoHandler, demoQueue } from '../demo/demo-handler.js';
import { Engine, type EngineConfig } from '../engine/engine.js';
import { buildApp } from '../http/app.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { JobStore } from '../store/store.js';
import { InProcessWorkers } from '../worker/in-process-workers.js';

export interface ServerOptions {
  port: number;
  host: string;
  db: string;
  demo: boolean;
  logger?: boolean | { level: string };
  store?: JobStore;
  engine?: Omit<EngineConfig, 'store'>;
  /** How long shutdown waits for running jobs before releasing their leases. */
  graceMs?: number;
  demoConcurrency?: number;
}

export interface RunningServer {
  app: FastifyInstance;
  engine: Engine;
  workers: InProcessWorkers;
  url: string;
  close(): Promise<void>;
}

export const graceMsDefault = 10_000;

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const store = options.store ?? new SqliteStore({ file: options.db });
  const engine = new Engine({ ...options.engine, store });
  const workers = new InProcessWorkers(engine);
  if (options.demo) workers.register(demoQueue, demoHandler, { concurrency: options.demoConcurrency ?? 4 });
  const app = await buildApp({ engine, logger: options.logger });
  engine.start();
  workers.start();
  const address = await app.listen({ port: options.port, host: options.host });
  let closing: Promise<void> | null = null;
  const close = () => {
    // Order matters: stop taking requests, let running jobs finish (or release them), then stop the loops.
    closing ??= (async () => {
      await app.close();
      await workers.stop(options.graceMs ?? graceMsDefault);
      await engine.stop();
      await store.close();
    })();
    return closing;
  };
  return { app, engine, workers, url: address, close };
}
