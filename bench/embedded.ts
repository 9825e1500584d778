/**
 * Jobgate's embedded default (the SQLite store through its Engine and in-process workers,
 * tenant limits on) vs the embedded peers: plainjob and liteque on SQLite, and
 * graphile-worker and pg-boss on the machine's PostgreSQL (BENCH_PG_URL, default
 * postgres://postgres@127.0.0.1:5432/test; their rows are skipped, with the reason
 * printed, when it does not answer).
 *
 * Rows, the same job counts for every side, no-op jobs: add throughput (single adds,
 * 50 in flight; bulk, 1,000 per call), processing throughput at worker concurrency
 * 1, 10, 100 (a prefilled backlog drained), submit → handler-start latency with an idle
 * worker, and disk per 100,000 queued. Throughput and latency rows run BENCH_ROUNDS
 * rounds (default 3) after one uncounted warm-up round at a quarter of the sizes and
 * report medians with the range over rounds. A side whose idle worker polls (plainjob,
 * liteque, pg-boss) takes few latency samples: each costs about one poll interval.
 * A processing row stops after `capMs` and reports what it drained by then (pg-boss at
 * low concurrency is bound by its 0.5 s polling). Disk is measured on `sizes.disk` queued
 * jobs (SQLite after a WAL checkpoint) and scaled to 100,000. BENCH_SCALE multiplies
 * the job counts (default 1: the whole run lasts a few minutes on a 2-core machine).
 */

import {
  graphilePeer,
  type Handle,
  jobgatePeer,
  litequePeer,
  type Peer,
  pgBossPeer,
  pgReachable,
  pgUrl,
  plainjobPeer,
} from './embedded-peers.js';
import { chunks, inFlight } from './redis.js';
import { percentile, printTable, round } from './stats.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);
const sizes = {
  addSingle: 2_000 * scale,
  addBulk: 10_000 * scale,
  process: { 1: 1_000 * scale, 10: 2_000 * scale, 100: 2_000 * scale } as Record<number, number>,
  latency: 200,
  latencyPolling: 4,
  /** Disk is measured on this many queued jobs and scaled to 100,000 (it grows linearly). */
  disk: 20_000,
};
const capMs = 5_000;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

type Figures = Map<string, number>;

async function on<T>(peer: Peer, measure: (side: Handle) => Promise<T>): Promise<T> {
  const side = await peer.open();
  try {
    return await measure(side);
  } finally {
    await side.close();
  }
}

/** Resolves when `check()` holds or `ms` passed. */
function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (check() || performance.now() > deadline) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One round of every throughput and latency row for one side. */
async function measureRound(peer: Peer, part: number): Promise<Figures> {
  const size = (n: number) => Math.max(1, Math.round(n * part));
  const figures: Figures = new Map();
  const addSingle = size(sizes.addSingle);
  figures.set(
    'add, single (50 in flight)',
    await on(peer, (side) => inFlight(addSingle, 50, (i) => side.addOne(i))),
  );
  const addBulk = size(sizes.addBulk);
  figures.set(
    'add, bulk (1,000 per call)',
    await on(peer, (side) => chunks(addBulk, 1_000, (n) => side.addMany(n))),
  );
  for (const concurrency of [1, 10, 100]) {
    const count = size(sizes.process[concurrency]!);
    figures.set(
      `process, concurrency ${concurrency}`,
      await on(peer, async (side) => {
        await chunks(count, 1_000, (n) => side.addMany(n));
        let done = 0;
        const start = performance.now();
        await side.work(concurrency, () => {
          done++;
        });
        await until(() => done >= count, capMs);
        return done / ((performance.now() - start) / 1000);
      }),
    );
  }
  // The warm-up skips a polling side's latency: each sample there is a poll interval.
  const samples = peer.polls ? (part < 1 ? 0 : sizes.latencyPolling) : size(sizes.latency);
  const latencies = await on(peer, async (side) => {
    let started: (() => void) | null = null;
    await side.work(1, () => started?.());
    await sleep(200);
    const out: number[] = [];
    for (let i = 0; i < samples; i++) {
      const begin = performance.now();
      const seen = new Promise<void>((resolve) => {
        started = resolve;
      });
      await side.addOne(i);
      await seen;
      out.push(performance.now() - begin);
      await sleep(2);
    }
    return out;
  });
  figures.set('latency p50, submit → start', percentile(latencies, 50));
  figures.set('latency p99, submit → start', percentile(latencies, 99));
  return figures;
}

const units: Record<string, string> = {
  'latency p50, submit → start': 'ms',
  'latency p99, submit → start': 'ms',
  'disk per 100,000 queued': 'MiB',
};

export async function run(): Promise<void> {
  const peers = [jobgatePeer, plainjobPeer, litequePeer];
  const pgDown = await pgReachable();
  if (pgDown === null) peers.push(graphilePeer, pgBossPeer);
  else console.log(`\nembedded: skipping graphile-worker and pg-boss: PostgreSQL at ${pgUrl}: ${pgDown}`);

  const started = performance.now();
  for (const peer of peers) await measureRound(peer, 0.25);
  // Rounds alternate over all sides, so a slow minute on the shared machine hits several.
  const all = new Map<string, Figures[]>(peers.map((p) => [p.name, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? peers : [...peers].reverse();
    for (const peer of order) all.get(peer.name)!.push(await measureRound(peer, 1));
  }
  const disk = new Map<string, number>();
  for (const peer of peers) {
    disk.set(
      peer.name,
      await on(peer, async (side) => {
        const before = await side.diskBytes();
        await chunks(sizes.disk, 1_000, (n) => side.addMany(n));
        return (((await side.diskBytes()) - before) / 2 ** 20) * (100_000 / sizes.disk);
      }),
    );
  }

  const rowNames = [...all.get(peers[0]!.name)![0]!.keys(), 'disk per 100,000 queued'];
  const cell = (peer: Peer, row: string) => {
    if (row === 'disk per 100,000 queued') return { median: disk.get(peer.name)!, min: NaN, max: NaN };
    const values = all.get(peer.name)!.map((f) => f.get(row)!);
    return { median: percentile(values, 50), min: Math.min(...values), max: Math.max(...values) };
  };
  console.log(
    `\n## embedded: Jobgate (SQLite store, tenant limits on) vs embedded peers, median of ${rounds} rounds (range), ${round((performance.now() - started) / 1000)} s\n`,
  );
  printTable(
    ['row', 'unit', ...peers.map((p) => p.name), 'jobgate/plainjob'],
    rowNames.map((row) => {
      const jobgate = cell(jobgatePeer, row).median;
      const plainjob = cell(plainjobPeer, row).median;
      return [
        row,
        units[row] ?? 'jobs/s',
        ...peers.map((peer) => {
          const { median, min, max } = cell(peer, row);
          return Number.isNaN(min) ? `${round(median)}` : `${round(median)} (${round(min)}–${round(max)})`;
        }),
        `${round(jobgate / plainjob, 2)}×`,
      ];
    }),
  );
  console.log(
    JSON.stringify({
      bench: 'embedded',
      rounds,
      postgres: pgDown === null ? 'reachable' : `skipped: ${pgDown}`,
      rows: rowNames.map((row) => ({
        name: row,
        unit: units[row] ?? 'jobs/s',
        ...Object.fromEntries(peers.map((peer) => [peer.name, round(cell(peer, row).median, 2)])),
      })),
    }),
  );
}
