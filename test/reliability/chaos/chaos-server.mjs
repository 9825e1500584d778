#!/usr/bin/env node
/**
 * A Jobgate server for the chaos suite (from dist/, as `jobgate serve` runs): the store
 * named by CHAOS_STORE (a redis:// URL or a SQLite file), in-process workers running the
 * chaos handler on queue `chaos`, and a pool of local worker processes on `chaos-pool`.
 * Prints `chaos server listening on <url>` once it listens.
 * Env: CHAOS_STORE, CHAOS_ADMIN_KEY, CHAOS_LEASE_MS, CHAOS_SWEEP_MS, CHAOS_IN_PROCESS
 * (concurrency, 0 = none), CHAOS_POOL (max pool workers, 0 = no pool), JOBGATE_CHAOS_LOG.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../../dist/cli/server.js';
import { validateConfig } from '../../../dist/config/load-config.js';
import { chaosHandler } from './chaos-handlers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const store = env.CHAOS_STORE ?? '';
const pool = Number(env.CHAOS_POOL ?? 0);
const unlimited = {
  priorityBoost: 0,
  maxConcurrentPerUser: -1,
  maxConcurrentPerProject: -1,
  dailyJobs: -1,
  iterationDepth: -1,
  iterationBatch: 1,
  ratePerMinute: 1_000_000,
  burst: 1_000_000,
};
const config = validateConfig({
  tiers: { chaos: unlimited },
  defaultTier: 'chaos',
  queues: {
    chaos: { maxQueued: 1_000_000 },
    ...(pool > 0
      ? {
          'chaos-pool': {
            maxQueued: 1_000_000,
            pool: {
              min: 1,
              max: pool,
              idleTimeoutSec: 600,
              concurrency: 4,
              handlers: join(here, 'chaos-handlers.mjs'),
            },
          },
        }
      : {}),
  },
});
const sweepMs = Number(env.CHAOS_SWEEP_MS ?? 250);
const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  db: store.startsWith('redis') ? ':memory:' : store,
  storeUrl: store.startsWith('redis') ? store : undefined,
  demo: false,
  config,
  adminKey: env.CHAOS_ADMIN_KEY,
  logger: false,
  graceMs: 500,
  engine: {
    leaseMs: Number(env.CHAOS_LEASE_MS ?? 1_000),
    intervals: { promoteMs: 50, reapMs: sweepMs, purgeMs: 3_600_000 },
    retry: { baseDelayMs: 50, factor: 2, maxDelayMs: 500, jitter: 0 },
  },
  workerPlane: { pools: { tickMs: 200, crashBackoff: { baseMs: 100, maxMs: 1_000 } } },
});
const inProcess = Number(env.CHAOS_IN_PROCESS ?? 0);
if (inProcess > 0) server.workers.register('chaos', chaosHandler, { concurrency: inProcess, pollMs: 50 });
process.stdout.write(`chaos server listening on ${server.url}\n`);
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
