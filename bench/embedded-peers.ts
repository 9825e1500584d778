/**
 * The sides of the embedded bench (bench/embedded.ts), each behind one small interface:
 * Jobgate's SQLite store through its Engine and in-process workers, plainjob and liteque
 * (SQLite), graphile-worker and pg-boss (PostgreSQL). Each side opens on a fresh file or
 * emptied schema, so no row sees another's leftovers.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Logger, makeWorkerUtils, run as runGraphile } from 'graphile-worker';
import { buildDBClient, Runner, SqliteQueue } from 'liteque';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { better, defineQueue, defineWorker } from 'plainjob';
import { Engine } from '../dist/engine/engine.js';
import { SqliteStore } from '../dist/store/sqlite/sqlite-store.js';
import { InProcessWorkers } from '../dist/worker/in-process-workers.js';
import { limits, tenant } from './redis.js';

export interface Handle {
  addOne(i: number): Promise<unknown>;
  addMany(n: number): Promise<unknown>;
  /** Starts workers at `concurrency` calling `onJob` as each job's handler starts. */
  work(concurrency: number, onJob: () => void): Promise<void>;
  /** Bytes the side's data takes on disk now (SQLite: file + WAL; Postgres: its relations). */
  diskBytes(): Promise<number>;
  close(): Promise<void>;
}

export interface Peer {
  name: string;
  /** Whether its idle worker polls (latency then takes few samples: each is a poll interval). */
  polls: boolean;
  open(): Promise<Handle>;
}

const quiet = { info() {}, warn() {}, error() {}, debug() {}, log() {} };
const payloads = (n: number) => Array.from({ length: n }, (_, i) => ({ n: i }));

function tempFile(prefix: string) {
  const dir = mkdtempSync(join(tmpdir(), `jobgate-embedded-${prefix}-`));
  const file = join(dir, 'bench.db');
  return {
    file,
    bytes() {
      let total = 0;
      for (const suffix of ['', '-wal']) {
        try {
          total += statSync(file + suffix).size;
        } catch {
          // no WAL file: nothing to add
        }
      }
      return total;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** SQLite files are measured after a checkpoint folded the WAL into the database file. */
function checkpointed(file: string): number {
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return statSync(file).size;
}

export const jobgatePeer: Peer = {
  name: 'jobgate (SQLite)',
  polls: false,
  async open() {
    const tmp = tempFile('jobgate');
    const store = new SqliteStore({ file: tmp.file });
    const engine = new Engine({ store, limitsFor: () => limits });
    const workers = new InProcessWorkers(engine);
    return {
      addOne: (i) => engine.submit({ queue: 'bench', payload: { n: i } }, tenant),
      addMany: (n) =>
        engine.submitMany(
          payloads(n).map((payload) => ({ queue: 'bench', payload })),
          tenant,
        ),
      async work(concurrency, onJob) {
        workers.register('bench', async () => onJob(), { concurrency });
        workers.start();
      },
      diskBytes: async () => checkpointed(tmp.file),
      async close() {
        await workers.stop(1_000);
        await engine.stop();
        await store.close();
        tmp.remove();
      },
    };
  },
};

export const plainjobPeer: Peer = {
  name: 'plainjob (SQLite)',
  polls: true,
  async open() {
    const tmp = tempFile('plainjob');
    const connection = better(new Database(tmp.file));
    const queue = defineQueue({ connection, logger: quiet });
    const workers: Array<{ stop(): Promise<void> }> = [];
    return {
      addOne: async (i) => queue.add('bench', { n: i }),
      addMany: async (n) => queue.addMany('bench', payloads(n)),
      async work(concurrency, onJob) {
        // plainjob's worker runs one job at a time: concurrency N is N workers.
        for (let i = 0; i < concurrency; i++) {
          const worker = defineWorker('bench', async () => onJob(), { queue, logger: quiet });
          void worker.start();
          workers.push(worker);
        }
      },
      diskBytes: async () => checkpointed(tmp.file),
      async close() {
        await Promise.all(workers.map((w) => w.stop()));
        queue.close();
        connection.close();
        tmp.remove();
      },
    };
  },
};

export const litequePeer: Peer = {
  name: 'liteque (SQLite)',
  polls: true,
  async open() {
    const tmp = tempFile('liteque');
    const db = buildDBClient(tmp.file, { runMigrations: true });
    const client = (db as unknown as { session: { client: Database.Database } }).session.client;
    // liteque 0.8 dequeues in an async drizzle transaction, which better-sqlite3 12 refuses
    // ("Transaction function cannot return a promise"); older better-sqlite3 ran such a
    // function's first synchronous part only. The dequeue runs its select and update
    // without one, as it did there (its runner dequeues one job at a time, so no race).
    const run = <F extends (...args: never[]) => unknown>(fn: F) =>
      Object.assign(fn, { deferred: fn, immediate: fn, exclusive: fn });
    (client as unknown as { transaction: unknown }).transaction = run;
    const queue = new SqliteQueue<{ n: number }>('bench', db, {
      defaultJobArgs: { numRetries: 0 },
      keepFailedJobs: false,
    });
    let runner: Runner<{ n: number }> | null = null;
    return {
      addOne: (i) => queue.enqueue({ n: i }),
      // liteque has no bulk enqueue: a batch is its enqueues one after another.
      async addMany(n) {
        for (let i = 0; i < n; i++) await queue.enqueue({ n: i });
      },
      async work(concurrency, onJob) {
        runner = new Runner(
          queue,
          { run: async () => onJob() },
          { concurrency, pollIntervalMs: 1_000, timeoutSecs: 60 },
        );
        void runner.run();
      },
      diskBytes: async () => checkpointed(tmp.file),
      async close() {
        runner?.stop();
        await new Promise((resolve) => setTimeout(resolve, 50));
        client.close();
        tmp.remove();
      },
    };
  },
};

export const pgUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Bytes of every table, index and TOAST relation in one schema. */
async function schemaBytes(pool: pg.Pool, schema: string): Promise<number> {
  const { rows } = await pool.query<{ bytes: string | null }>(
    `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')`,
    [schema],
  );
  return Number(rows[0]?.bytes ?? 0);
}

const silentGraphileLogger = new Logger(() => () => {});

export const graphilePeer: Peer = {
  name: 'graphile-worker (Postgres)',
  polls: false,
  async open() {
    const pool = new pg.Pool({ connectionString: pgUrl, max: 20 });
    const utils = await makeWorkerUtils({ pgPool: pool, logger: silentGraphileLogger });
    await utils.migrate();
    await pool.query('TRUNCATE graphile_worker._private_jobs, graphile_worker._private_job_queues CASCADE');
    let runner: Awaited<ReturnType<typeof runGraphile>> | null = null;
    return {
      addOne: (i) => utils.addJob('bench', { n: i }),
      addMany: (n) =>
        pool.query(
          `SELECT graphile_worker.add_jobs(
             (SELECT array_agg(json_populate_record(null::graphile_worker.job_spec, x))
                FROM json_array_elements($1::json) x))`,
          [JSON.stringify(payloads(n).map((payload) => ({ identifier: 'bench', payload })))],
        ),
      async work(concurrency, onJob) {
        runner = await runGraphile({
          pgPool: pool,
          concurrency,
          noHandleSignals: true,
          logger: silentGraphileLogger,
          taskList: { bench: async () => onJob() },
        });
      },
      diskBytes: () => schemaBytes(pool, 'graphile_worker'),
      async close() {
        await runner?.stop();
        await utils.release();
        await pool.end();
      },
    };
  },
};

const bossSchema = 'pgboss_bench';

export const pgBossPeer: Peer = {
  name: 'pg-boss (Postgres)',
  polls: true,
  async open() {
    const boss = new PgBoss({
      connectionString: pgUrl,
      schema: bossSchema,
      supervise: false,
      schedule: false,
    });
    boss.on('error', () => {});
    await boss.start();
    const pool = new pg.Pool({ connectionString: pgUrl, max: 2 });
    await pool.query(`DELETE FROM ${bossSchema}.job`);
    await pool.query(`TRUNCATE ${bossSchema}.archive`).catch(() => {});
    await boss.createQueue('bench').catch(() => {});
    return {
      addOne: (i) => boss.send('bench', { n: i }),
      addMany: (n) => boss.insert(payloads(n).map((data) => ({ name: 'bench', data }))),
      async work(concurrency, onJob) {
        // pg-boss 10 fetches a batch and hands it to one handler call: concurrency N is a
        // batch of N run together, the worker polling for the next.
        await boss.work('bench', { batchSize: concurrency, pollingIntervalSeconds: 0.5 }, async (jobs) => {
          await Promise.all(jobs.map(async () => onJob()));
        });
      },
      diskBytes: () => schemaBytes(pool, bossSchema),
      async close() {
        await boss.stop({ graceful: false, wait: true, timeout: 2_000 });
        await pool.end();
      },
    };
  },
};

/** Whether PostgreSQL answers at pgUrl; the reason when it does not. */
export async function pgReachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}
