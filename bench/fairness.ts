/**
 * Fairness bench: "claim cost does not grow with a blocked tenant's backlog".
 *
 * Tenant A (maxConcurrentPerUser 1) has one job running and a backlog of N queued jobs,
 * so its group is parked. Tenant B submits one job at a time and each is claimed; we time
 * `store.claim` for B's job (admit and complete are outside the timed section).
 *
 * Side by side, a naive baseline on the same data shape: one plain `jobs` table with an
 * index on (queue, status, priority, seq) in a separate :memory: database, claiming with
 *   SELECT … WHERE queue = ? AND status = 'queued' AND owner NOT IN (owners at limit)
 *   ORDER BY priority, seq LIMIT 1
 * which has to step over A's whole backlog (same priority, older seq) to reach B's job.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { type AdmitRequest, type OwnerLimits, unlimitedOwner } from '../src/store/store.js';
import { mean, percentile, printTable, round } from './stats.js';

const sizes = [0, 1_000, 10_000, 100_000];
const queue = 'bench';
const priority = 5;
const tenantA = 'tenant-a';
const tenantB = 'tenant-b';
const limitsA: OwnerLimits = { ...unlimitedOwner, maxConcurrentPerUser: 1 };
const admitBatch = 1_000;
const warmupClaims = 50;
const jobgateClaims = 1_000;
/** The naive claim is O(N): sample it for at most this long per size (but at least naiveMinClaims). */
const naiveWarmupClaims = 5;
const naiveBudgetMs = 1_000;
const naiveMaxClaims = 1_000;
const naiveMinClaims = 30;
const leaseMs = 3_600_000;

interface Timing {
  meanUs: number;
  p50Us: number;
  p99Us: number;
  samples: number;
}

function summarise(samplesUs: number[]): Timing {
  return {
    meanUs: round(mean(samplesUs)),
    p50Us: round(percentile(samplesUs, 50)),
    p99Us: round(percentile(samplesUs, 99)),
    samples: samplesUs.length,
  };
}

function admitRequest(owner: string, limits: OwnerLimits): AdmitRequest {
  return {
    job: {
      id: randomUUID(),
      queue,
      type: 'bench',
      payload: null,
      priority,
      maxAttempts: 1,
      timeoutMs: null,
      runAt: null,
      delayMs: null,
      owner,
      projectId: null,
      parentId: null,
    },
    limits,
    calendar: { resetOffsetMs: 0, jitterMs: 0 },
    idempotency: null,
  };
}

// ---- Jobgate: SqliteStore ----------------------------------------------------------

async function admitAll(store: SqliteStore, requests: AdmitRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += admitBatch) {
    const results = await store.admit(requests.slice(i, i + admitBatch));
    for (const result of results) {
      if (result.kind !== 'created') throw new Error(`admit failed: ${JSON.stringify(result)}`);
    }
  }
}

/** A with one running job (so it sits at its limit of 1) and an empty backlog. */
async function blockTenantA(store: SqliteStore): Promise<void> {
  await admitAll(store, [admitRequest(tenantA, limitsA)]);
  const claimed = await store.claim({ queue, workerId: 'worker-a', limit: 1, leaseMs });
  if (claimed.length !== 1 || claimed[0]!.owner !== tenantA) throw new Error('could not start A');
}

async function growBacklog(store: SqliteStore, from: number, to: number): Promise<void> {
  const requests: AdmitRequest[] = [];
  for (let i = from; i < to; i++) requests.push(admitRequest(tenantA, limitsA));
  await admitAll(store, requests);
  const counts = await store.counts(queue);
  if (counts.queued !== to || counts.running !== 1)
    throw new Error(`expected ${to} queued and 1 running, got ${JSON.stringify(counts)}`);
}

async function measureJobgate(store: SqliteStore): Promise<Timing> {
  const samples: number[] = [];
  for (let i = 0; i < warmupClaims + jobgateClaims; i++) {
    await admitAll(store, [admitRequest(tenantB, unlimitedOwner)]);
    const start = performance.now();
    const claimed = await store.claim({ queue, workerId: 'worker-b', limit: 1, leaseMs });
    const elapsed = performance.now() - start;
    const job = claimed[0];
    if (claimed.length !== 1 || !job || job.owner !== tenantB)
      throw new Error(
        `claim returned ${claimed.length} jobs, owner ${job?.owner}: A's limit was not honoured`,
      );
    await store.complete({ id: job.id, token: job.leaseToken, result: null });
    if (i >= warmupClaims) samples.push(elapsed * 1000);
  }
  return summarise(samples);
}

async function benchJobgate(file: string): Promise<Map<number, Timing>> {
  const store = new SqliteStore({ file });
  const results = new Map<number, Timing>();
  try {
    await blockTenantA(store);
    let backlog = 0;
    for (const n of sizes) {
      await growBacklog(store, backlog, n);
      backlog = n;
      results.set(n, await measureJobgate(store));
    }
  } finally {
    await store.close();
  }
  return results;
}

// ---- Naive baseline: one table, one ORDER BY ... LIMIT 1 ------------------------------

class NaiveQueue {
  private readonly db = new Database(':memory:');
  private seq = 0;
  private readonly insert;
  private readonly pick;
  private readonly start;
  private readonly bumpRunning;
  private readonly finish;

  constructor() {
    this.db.exec(`
      CREATE TABLE jobs (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        queue TEXT NOT NULL,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        priority INTEGER NOT NULL,
        started_at INTEGER
      );
      CREATE INDEX jobs_claim ON jobs(queue, status, priority, seq);
      CREATE TABLE owners (owner TEXT PRIMARY KEY, running INTEGER NOT NULL DEFAULT 0, max_running INTEGER);
    `);
    this.db
      .prepare('INSERT INTO owners (owner, max_running) VALUES (?, ?), (?, NULL)')
      .run(tenantA, 1, tenantB);
    this.insert = this.db.prepare<[number, string, string, string, number]>(
      `INSERT INTO jobs (seq, id, queue, owner, status, priority) VALUES (?, ?, ?, ?, 'queued', ?)`,
    );
    this.pick = this.db.prepare<[string], { seq: number; owner: string }>(
      `SELECT seq, owner FROM jobs
       WHERE queue = ? AND status = 'queued'
         AND owner NOT IN (SELECT owner FROM owners WHERE max_running IS NOT NULL AND running >= max_running)
       ORDER BY priority, seq LIMIT 1`,
    );
    this.start = this.db.prepare<[number, number]>(
      `UPDATE jobs SET status = 'running', started_at = ? WHERE seq = ?`,
    );
    this.bumpRunning = this.db.prepare<[number, string]>(
      'UPDATE owners SET running = running + ? WHERE owner = ?',
    );
    this.finish = this.db.prepare<[number]>(`UPDATE jobs SET status = 'completed' WHERE seq = ?`);
  }

  plan(): string {
    return this.db
      .prepare<[string], { detail: string }>(
        `EXPLAIN QUERY PLAN SELECT seq, owner FROM jobs
         WHERE queue = ? AND status = 'queued'
           AND owner NOT IN (SELECT owner FROM owners WHERE max_running IS NOT NULL AND running >= max_running)
         ORDER BY priority, seq LIMIT 1`,
      )
      .all(queue)
      .map((row) => row.detail)
      .join('; ');
  }

  add(owner: string, count: number): void {
    this.db.transaction(() => {
      for (let i = 0; i < count; i++) {
        this.seq += 1;
        this.insert.run(this.seq, `${owner}-${this.seq}`, queue, owner, priority);
      }
    })();
  }

  /** The claim: pick, mark running, count it against the owner, in one write transaction. */
  claim(): { seq: number; owner: string } | undefined {
    return this.db
      .transaction(() => {
        const row = this.pick.get(queue);
        if (!row) return undefined;
        this.start.run(Date.now(), row.seq);
        this.bumpRunning.run(1, row.owner);
        return row;
      })
      .immediate();
  }

  complete(row: { seq: number; owner: string }): void {
    this.db
      .transaction(() => {
        this.finish.run(row.seq);
        this.bumpRunning.run(-1, row.owner);
      })
      .immediate();
  }

  close(): void {
    this.db.close();
  }
}

function measureNaive(naive: NaiveQueue): Timing {
  const samples: number[] = [];
  const began = performance.now();
  for (let i = 0; i < naiveWarmupClaims + naiveMaxClaims; i++) {
    if (samples.length >= naiveMinClaims && performance.now() - began > naiveBudgetMs) break;
    naive.add(tenantB, 1);
    const start = performance.now();
    const row = naive.claim();
    const elapsed = performance.now() - start;
    if (!row || row.owner !== tenantB) throw new Error(`naive claim returned ${row?.owner}`);
    naive.complete(row);
    if (i >= naiveWarmupClaims) samples.push(elapsed * 1000);
  }
  return summarise(samples);
}

function benchNaive(): { results: Map<number, Timing>; plan: string } {
  const naive = new NaiveQueue();
  const results = new Map<number, Timing>();
  try {
    naive.add(tenantA, 1);
    const first = naive.claim();
    if (first?.owner !== tenantA) throw new Error('could not start A (naive)');
    let backlog = 0;
    for (const n of sizes) {
      naive.add(tenantA, n - backlog);
      backlog = n;
      results.set(n, measureNaive(naive));
    }
    return { results, plan: naive.plan() };
  } finally {
    naive.close();
  }
}

// ---- the run --------------------------------------------------------------------

export async function run(): Promise<void> {
  console.log('\n## fairness: µs per claim of tenant B while tenant A (at its limit) has N queued\n');
  const began = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'jobgate-bench-'));
  try {
    const naive = benchNaive();
    const stores: Array<{ label: string; results: Map<number, Timing> }> = [
      { label: 'sqlite :memory:', results: await benchJobgate(':memory:') },
      { label: 'sqlite file', results: await benchJobgate(join(dir, 'fairness.db')) },
    ];
    const rows = [];
    for (const n of sizes) {
      const baseline = naive.results.get(n)!;
      for (const { label, results } of stores) {
        const jobgate = results.get(n)!;
        rows.push({
          n,
          store: label,
          jobgateMeanUs: jobgate.meanUs,
          jobgateP50Us: jobgate.p50Us,
          jobgateP99Us: jobgate.p99Us,
          jobgateSamples: jobgate.samples,
          naiveMeanUs: baseline.meanUs,
          naiveP50Us: baseline.p50Us,
          naiveP99Us: baseline.p99Us,
          naiveSamples: baseline.samples,
          ratio: round(baseline.meanUs / jobgate.meanUs, 2),
        });
      }
    }
    printTable(
      [
        'N (A backlog)',
        'jobgate store',
        'jobgate µs/claim mean',
        'p50',
        'p99',
        'naive µs/claim mean',
        'p50',
        'p99',
        'ratio naive/jobgate',
      ],
      rows.map((row) => [
        row.n.toLocaleString('en-US'),
        row.store,
        row.jobgateMeanUs.toFixed(1),
        row.jobgateP50Us.toFixed(1),
        row.jobgateP99Us.toFixed(1),
        row.naiveMeanUs.toFixed(1),
        row.naiveP50Us.toFixed(1),
        row.naiveP99Us.toFixed(1),
        `${row.ratio.toFixed(2)}×`,
      ]),
    );
    console.log(
      `\njobgate: ${jobgateClaims} timed claims per row (after ${warmupClaims} warm-up); naive (:memory:, ` +
        `prepared once): up to ${naiveMaxClaims} claims or ${naiveBudgetMs} ms per N ` +
        `(after ${naiveWarmupClaims} warm-up). ratio = naive mean / jobgate mean. ` +
        `Naive plan: ${naive.plan}. Total ${round((performance.now() - began) / 1000)} s.`,
    );
    console.log(JSON.stringify({ bench: 'fairness', rows }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
