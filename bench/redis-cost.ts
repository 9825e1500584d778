/**
 * Redis' own cost per job, counted in CPU instructions: Jobgate's Redis store against
 * BullMQ on one redis-server that runs under valgrind's callgrind. Timings on a shared
 * machine move ±30 % between runs (docs/BENCHMARKS.md); instruction counts repeat to the
 * last digit, so this is the bench to judge a change to the Lua scripts by. It counts
 * only the server's work, not the Node side. Needs valgrind (`apt-get install valgrind`).
 *
 * Rows, 2,000 jobs each (callgrind runs Redis ~50× slower): single adds with 50 in
 * flight, bulk adds (1,000 per call), draining a prefilled queue at worker concurrency
 * 1, 10 and 100 (a complete and the next claim per job), and lone jobs (one submit at a
 * time to an idle worker: its add, claim and completion — the latency row's path).
 * Only the measured phase is counted: the counters are zeroed after the prefill and
 * dumped at the end.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedis } from '../test/helpers/redis-server.js';
import { bullmq, chunks, inFlight, input, jobgate, tenant, until } from './redis.js';
import { printTable, round } from './stats.js';

const jobs = 2_000;

function assertValgrind(): void {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('valgrind is not on PATH: install it (apt-get install valgrind) to run this bench');
  }
}

/** One side's workload: `prepare` is not counted, `measure` is. */
interface Workload {
  prepare(): Promise<void>;
  measure(): Promise<void>;
  close(): Promise<void>;
}

type Side = (url: string) => Promise<Workload>;

const jobgateAdd =
  (bulk: boolean): Side =>
  async (url) => {
    const jg = await jobgate(url);
    return {
      prepare: async () => {},
      measure: async () => {
        if (bulk)
          await chunks(jobs, 1_000, (n) =>
            jg.engine.submitMany(
              Array.from({ length: n }, (_, i) => input(i)),
              tenant,
            ),
          );
        else await inFlight(jobs, 50, (i) => jg.engine.submit(input(i), tenant));
      },
      close: () => jg.close(),
    };
  };

const bullmqAdd =
  (bulk: boolean): Side =>
  async (url) => {
    const bq = bullmq(url);
    return {
      // The queue's first add loads its scripts: not part of the per-job cost.
      prepare: async () => void (await bq.queue.add('warm', {})),
      measure: async () => {
        if (bulk)
          await chunks(jobs, 1_000, (n) =>
            bq.queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'job', data: { n: i } }))),
          );
        else await inFlight(jobs, 50, (i) => bq.queue.add('job', { n: i }));
      },
      close: () => bq.close(),
    };
  };

const jobgateProcess =
  (concurrency: number): Side =>
  async (url) => {
    const jg = await jobgate(url);
    let done = 0;
    return {
      prepare: async () => {
        await chunks(jobs, 1_000, (n) =>
          jg.engine.submitMany(
            Array.from({ length: n }, (_, i) => input(i)),
            tenant,
          ),
        );
        jg.workers.register('bench', async () => void done++, { concurrency });
      },
      measure: async () => {
        jg.workers.start();
        await until(() => done >= jobs);
      },
      close: () => jg.close(),
    };
  };

const bullmqProcess =
  (concurrency: number): Side =>
  async (url) => {
    const bq = bullmq(url);
    let done = 0;
    return {
      prepare: async () =>
        void (await chunks(jobs, 1_000, (n) =>
          bq.queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'job', data: { n: i } }))),
        )),
      measure: async () => {
        bq.worker(async () => void done++, concurrency);
        await until(() => done >= jobs);
      },
      close: () => bq.close(),
    };
  };

/** Lone jobs: one at a time to an idle worker, each settled (its completion stored) before the next. */
const lone = 300;

const jobgateLone: Side = async (url) => {
  const jg = await jobgate(url);
  let done = 0;
  return {
    prepare: async () => {
      const worker = jg.workers.register('bench', async () => {}, { concurrency: 1 });
      worker.on('settled', () => void done++);
      jg.workers.start();
    },
    measure: async () => {
      for (let i = 0; i < lone; i++) {
        await jg.engine.submit(input(i), tenant);
        await until(() => done > i);
      }
    },
    close: () => jg.close(),
  };
};

const bullmqLone: Side = async (url) => {
  const bq = bullmq(url);
  let done = 0;
  return {
    prepare: async () => {
      await bq.queue.add('warm', {});
      bq.worker(async () => {}, 1).on('completed', () => void done++);
      await until(() => done >= 1);
    },
    measure: async () => {
      for (let i = 0; i < lone; i++) {
        await bq.queue.add('job', { n: i });
        await until(() => done > i + 1);
      }
    },
    close: () => bq.close(),
  };
};

const rows: Array<{ name: string; jobgate: Side; bullmq: Side; jobs?: number }> = [
  { name: 'add, single (50 in flight)', jobgate: jobgateAdd(false), bullmq: bullmqAdd(false) },
  { name: 'add, bulk (1,000 per call)', jobgate: jobgateAdd(true), bullmq: bullmqAdd(true) },
  { name: 'process, concurrency 1', jobgate: jobgateProcess(1), bullmq: bullmqProcess(1) },
  { name: 'process, concurrency 10', jobgate: jobgateProcess(10), bullmq: bullmqProcess(10) },
  { name: 'process, concurrency 100', jobgate: jobgateProcess(100), bullmq: bullmqProcess(100) },
  { name: 'lone job (add, claim, complete)', jobgate: jobgateLone, bullmq: bullmqLone, jobs: lone },
];

export async function run(): Promise<void> {
  assertValgrind();
  const dir = mkdtempSync(join(tmpdir(), 'jobgate-callgrind-'));
  const out = join(dir, 'cg.out');
  const server = await startRedis({
    wrapper: ['valgrind', '--tool=callgrind', '--compress-strings=no', `--callgrind-out-file=${out}`],
  });
  const admin = new Redis(server.url);
  const control = (flag: string) =>
    execFileSync('callgrind_control', [flag, String(server.pid())], { stdio: 'ignore' });
  /** Instructions Redis ran while `measure` did: counters zeroed before, dumped after. */
  const count = async (side: Side): Promise<number> => {
    await admin.flushall();
    const workload = await side(server.url);
    try {
      await workload.prepare();
      control('-z');
      await workload.measure();
      control('-d');
    } finally {
      await workload.close();
    }
    const dumps = readdirSync(dir).filter((file) => file.startsWith('cg.out.'));
    const newest = dumps.sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop())).pop()!;
    const totals = /^(?:totals|summary): (\d+)/m.exec(readFileSync(join(dir, newest), 'utf8'));
    if (!totals) throw new Error(`no totals in callgrind dump ${newest}`);
    return Number(totals[1]);
  };
  const results: Array<{ name: string; jobgate: number; bullmq: number }> = [];
  // BENCH_ROWS=<text>: only the rows whose name contains it; BENCH_JOBGATE_ONLY=1 skips
  // BullMQ's side (its counts do not change while a script is being tuned).
  const only = process.env.BENCH_ROWS;
  const jobgateOnly = process.env.BENCH_JOBGATE_ONLY === '1';
  try {
    for (const row of rows.filter((r) => !only || r.name.includes(only))) {
      const n = row.jobs ?? jobs;
      const jg = (await count(row.jobgate)) / n / 1_000;
      const bq = jobgateOnly ? Number.NaN : (await count(row.bullmq)) / n / 1_000;
      results.push({ name: row.name, jobgate: jg, bullmq: bq });
    }
  } finally {
    admin.disconnect();
    await server.stop();
  }
  console.log(
    '\n## redis-cost: Redis instructions per job (callgrind), Jobgate vs BullMQ, same redis-server\n',
  );
  printTable(
    ['row', 'unit', 'jobgate', 'bullmq', 'jobgate/bullmq'],
    results.map((r) => [
      r.name,
      'k instr/job',
      round(r.jobgate),
      round(r.bullmq),
      `${round(r.jobgate / r.bullmq, 2)}×`,
    ]),
  );
  console.log(
    JSON.stringify({
      bench: 'redis-cost',
      rows: results.map((r) => ({
        name: r.name,
        unit: 'k instructions/job',
        jobgate: round(r.jobgate, 1),
        bullmq: round(r.bullmq, 1),
        ratio: round(r.jobgate / r.bullmq, 3),
      })),
    }),
  );
}
