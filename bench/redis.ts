/**
 * Jobgate's Redis store vs BullMQ on the same local redis-server, engine to engine:
 * Jobgate's Engine with in-process workers (no HTTP) against BullMQ's Queue and Worker.
 * Jobgate runs with per-tenant limits switched on (a tier with concurrency limits and
 * a daily quota), so every add and claim does its admission and fairness work.
 *
 * Rows: add throughput (single adds, 50 in flight; bulk), processing throughput at
 * worker concurrency 1, 10, 100, submit → handler-start latency with an idle worker,
 * and Redis memory per 100,000 queued jobs. Each row is measured on a flushed server;
 * throughput and latency rows run BENCH_ROUNDS rounds (default 3) and report medians,
 * after one uncounted warm-up round at a quarter of the sizes; rounds alternate which side
 * runs first in each row. Jobgate runs from dist/ (tsc's output, as `npm start` runs it),
 * as BullMQ runs from its own: through tsx, esbuild's keepNames wrapped every class field
 * function in a __name call per instance (`npm run bench` builds dist/ first).
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Engine } from '../dist/engine/engine.js';
import type { Principal } from '../dist/engine/principal.js';
import { RedisStore } from '../dist/store/redis/redis-store.js';
import type { OwnerLimits } from '../dist/store/store.js';
import { InProcessWorkers } from '../dist/worker/in-process-workers.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { percentile, printTable, round } from './stats.js';

/**
 * Jobs per row and round, times BENCH_SCALE (default 4). At scale 1 a row lasted 0.2–0.5 s,
 * short enough that the JIT's warm-up decided it: a side's first round ran at half the
 * rate of its third (docs/BENCHMARKS.md, session 6).
 */
const scale = Number(process.env.BENCH_SCALE ?? 4);
const sizes = {
  addSingle: 10_000 * scale,
  addBulk: 30_000 * scale,
  process: { 1: 2_000 * scale, 10: 10_000 * scale, 100: 20_000 * scale } as Record<number, number>,
  latency: 2_000,
  memory: 100_000,
};

interface Row {
  name: string;
  unit: string;
  jobgate: number;
  bullmq: number;
  /** Whether a bigger number is better (throughput) or worse (latency, memory). */
  higherIsBetter: boolean;
}

/** Tenant limits on, as a paying tier would have them; roomy enough not to throttle the bench. */
export const limits: OwnerLimits = {
  priorityBoost: 1,
  maxConcurrentPerUser: 1_000,
  maxConcurrentPerProject: null,
  dailyJobs: 10_000_000,
  iterationDepth: 10,
  iterationBatch: 10,
};
export const tenant: Principal = { owner: 'bench-tenant', role: 'tenant', tier: 'pro', keyId: null };

export async function jobgate(url: string) {
  const store = new RedisStore({ url, prefix: 'bench' });
  await store.connect();
  const engine = new Engine({ store, limitsFor: () => limits });
  const workers = new InProcessWorkers(engine);
  return {
    engine,
    workers,
    async close() {
      await workers.stop(1_000);
      await engine.stop();
      await store.close();
    },
  };
}

export function bullmq(url: string) {
  const { port } = new URL(url);
  const connection = { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null };
  const queue = new Queue('bench', { connection });
  const workers: Worker[] = [];
  return {
    queue,
    connection,
    worker(processor: () => Promise<void>, concurrency: number) {
      const worker = new Worker('bench', processor, { connection, concurrency });
      workers.push(worker);
      return worker;
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await queue.close();
    },
  };
}

/** Runs `count` calls of `fn` with `inFlight` at a time; returns jobs per second. */
export async function inFlight(
  count: number,
  width: number,
  fn: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await fn(next++);
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

export async function chunks(
  count: number,
  size: number,
  fn: (n: number) => Promise<unknown>,
): Promise<number> {
  const start = performance.now();
  for (let done = 0; done < count; done += size) await fn(Math.min(size, count - done));
  return count / ((performance.now() - start) / 1000);
}

export function until(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (check()) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
}

export const input = (n: number) => ({ queue: 'bench', payload: { n } });
const inputs = (n: number) => Array.from({ length: n }, (_, i) => input(i));
const bullmqInputs = (n: number) => Array.from({ length: n }, (_, i) => ({ name: 'job', data: { n: i } }));

/** What one round measures, for one side: a function of the row sizes. */
type Side = () => Promise<number>;

/**
 * One round of the throughput and latency rows, each side on a flushed server. `bullmqFirst`
 * swaps which side runs first in every row: the side that runs second finds the shared code
 * (ioredis, the bench's helpers) already compiled by the first, so rounds alternate the order.
 * `part` scales the row sizes (the warm-up round runs a quarter).
 */
async function measureRound(
  server: { url: string },
  admin: Redis,
  bullmqFirst: boolean,
  part = 1,
): Promise<Row[]> {
  const url = server.url;
  const size = (n: number) => Math.max(1, Math.round(n * part));
  const rows: Row[] = [];
  /** Runs both sides, each on a flushed server, in this round's order. */
  const both = async (jg: Side, bq: Side): Promise<{ jobgate: number; bullmq: number }> => {
    const figures: number[] = [];
    for (const side of bullmqFirst ? [bq, jg] : [jg, bq]) {
      await admin.flushall();
      figures.push(await side());
    }
    return bullmqFirst
      ? { jobgate: figures[1]!, bullmq: figures[0]! }
      : { jobgate: figures[0]!, bullmq: figures[1]! };
  };
  const pair = async (name: string, unit: string, higherIsBetter: boolean, jg: Side, bq: Side) => {
    rows.push({ name, unit, higherIsBetter, ...(await both(jg, bq)) });
  };
  /** A side's measurement on a fresh Jobgate engine or BullMQ queue, closed after. */
  const on =
    <T extends { close(): Promise<void> }>(open: () => T | Promise<T>) =>
    (measure: (side: T) => Promise<number>): Side =>
    async () => {
      const side = await open();
      try {
        return await measure(side);
      } finally {
        await side.close();
      }
    };
  const onJobgate = on(() => jobgate(url));
  const onBullmq = on(() => bullmq(url));

  // ---- add throughput -------------------------------------------------------------
  const addSingle = size(sizes.addSingle);
  await pair(
    'add, single (50 in flight)',
    'jobs/s',
    true,
    onJobgate((jg) => inFlight(addSingle, 50, (i) => jg.engine.submit(input(i), tenant))),
    onBullmq((bq) => inFlight(addSingle, 50, (i) => bq.queue.add('job', { n: i }))),
  );
  const addBulk = size(sizes.addBulk);
  await pair(
    'add, bulk (1,000 per call)',
    'jobs/s',
    true,
    onJobgate((jg) => chunks(addBulk, 1_000, (n) => jg.engine.submitMany(inputs(n), tenant))),
    onBullmq((bq) => chunks(addBulk, 1_000, (n) => bq.queue.addBulk(bullmqInputs(n)))),
  );

  // ---- processing throughput ------------------------------------------------------
  for (const concurrency of [1, 10, 100]) {
    const count = size(sizes.process[concurrency]!);
    await pair(
      `process, concurrency ${concurrency}`,
      'jobs/s',
      true,
      onJobgate(async (jg) => {
        await chunks(count, 1_000, (n) => jg.engine.submitMany(inputs(n), tenant));
        let done = 0;
        jg.workers.register(
          'bench',
          async () => {
            done++;
          },
          { concurrency },
        );
        const start = performance.now();
        jg.workers.start();
        await until(() => done >= count);
        return count / ((performance.now() - start) / 1000);
      }),
      onBullmq(async (bq) => {
        await chunks(count, 1_000, (n) => bq.queue.addBulk(bullmqInputs(n)));
        let done = 0;
        const start = performance.now();
        bq.worker(async () => {
          done++;
        }, concurrency);
        await until(() => done >= count);
        return count / ((performance.now() - start) / 1000);
      }),
    );
  }

  // ---- latency: submit → handler start, idle worker ----------------------------------
  const samples = size(sizes.latency);
  const latencies = { jobgate: [] as number[], bullmq: [] as number[] };
  /** Submits one job at a time to an idle worker, `started` resolving when its handler starts. */
  const timeStarts = async (
    into: number[],
    submit: (i: number) => Promise<unknown>,
    hook: (fn: () => void) => void,
  ) => {
    for (let i = 0; i < samples; i++) {
      const begin = performance.now();
      const seen = new Promise<void>((resolve) => hook(resolve));
      await submit(i);
      await seen;
      into.push(performance.now() - begin);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };
  await both(
    onJobgate(async (jg) => {
      let started: (() => void) | null = null;
      jg.workers.register('bench', async () => started?.(), { concurrency: 1 });
      jg.workers.start();
      await timeStarts(
        latencies.jobgate,
        (i) => jg.engine.submit(input(i), tenant),
        (fn) => {
          started = fn;
        },
      );
      return 0;
    }),
    onBullmq(async (bq) => {
      let started: (() => void) | null = null;
      bq.worker(async () => started?.(), 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await timeStarts(
        latencies.bullmq,
        (i) => bq.queue.add('job', { n: i }),
        (fn) => {
          started = fn;
        },
      );
      return 0;
    }),
  );
  for (const p of [50, 99]) {
    rows.push({
      name: `latency p${p}, submit → start`,
      unit: 'ms',
      jobgate: percentile(latencies.jobgate, p),
      bullmq: percentile(latencies.bullmq, p),
      higherIsBetter: false,
    });
  }
  return rows;
}

/** Rounds of every throughput and latency row: the machine is shared, so one run can move ±30 %. */
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const median = (values: number[]) => percentile(values, 50);

export async function run(): Promise<void> {
  const server = await startRedis();
  const admin = new Redis(server.url);
  const flush = () => admin.flushall();
  const rows: Row[] = [];
  const ratioRanges = new Map<string, [number, number]>();
  try {
    // Rounds alternate over all rows, so a slow minute hits both sides of several rows.
    // A warm-up round at a quarter of the sizes, not counted: without it the first round
    // measures the JIT's warm-up (each side's first rows ran at half its later rate).
    await measureRound(server, admin, false, 0.25);
    const samples: Row[][] = [];
    for (let round = 0; round < rounds; round++)
      samples.push(await measureRound(server, admin, round % 2 === 1));
    for (const [index, first] of samples[0]!.entries()) {
      const all = samples.map((sample) => sample[index]!);
      const ratios = all.map((r) => r.jobgate / r.bullmq);
      ratioRanges.set(first.name, [Math.min(...ratios), Math.max(...ratios)]);
      rows.push({
        ...first,
        jobgate: median(all.map((r) => r.jobgate)),
        bullmq: median(all.map((r) => r.bullmq)),
      });
    }

    // ---- memory per 100,000 queued jobs (deterministic: one round) ---------------
    let jg: Awaited<ReturnType<typeof jobgate>>;
    let bq: ReturnType<typeof bullmq>;
    const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
    await flush();
    let before = await usedMemory();
    jg = await jobgate(server.url);
    await chunks(sizes.memory, 1_000, (n) =>
      jg.engine.submitMany(
        Array.from({ length: n }, (_, i) => input(i)),
        tenant,
      ),
    );
    const jgMemory = (await usedMemory()) - before;
    await jg.close();
    await flush();
    before = await usedMemory();
    bq = bullmq(server.url);
    await chunks(sizes.memory, 1_000, (n) =>
      bq.queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'job', data: { n: i } }))),
    );
    const bqMemory = (await usedMemory()) - before;
    await bq.close();
    rows.push({
      name: 'memory per 100,000 queued',
      unit: 'MiB',
      jobgate: jgMemory / 2 ** 20,
      bullmq: bqMemory / 2 ** 20,
      higherIsBetter: false,
    });
  } finally {
    admin.disconnect();
    await server.stop();
  }

  console.log(
    `\n## redis: Jobgate (Redis store, tenant limits on) vs BullMQ, same redis-server, median of ${rounds} rounds\n`,
  );
  printTable(
    ['row', 'unit', 'jobgate', 'bullmq', 'jobgate/bullmq', 'ratio range'],
    rows.map((r) => {
      const range = ratioRanges.get(r.name);
      return [
        r.name,
        r.unit,
        round(r.jobgate),
        round(r.bullmq),
        `${round(r.jobgate / r.bullmq, 2)}×${(r.higherIsBetter ? r.jobgate >= r.bullmq : r.jobgate <= r.bullmq) ? '' : ' (behind)'}`,
        range ? `${round(range[0], 2)}–${round(range[1], 2)}×` : '—',
      ];
    }),
  );
  console.log(
    JSON.stringify({
      bench: 'redis',
      rows: rows.map((r) => ({
        name: r.name,
        unit: r.unit,
        jobgate: round(r.jobgate, 2),
        bullmq: round(r.bullmq, 2),
        ratio: round(r.jobgate / r.bullmq, 3),
      })),
    }),
  );
}
