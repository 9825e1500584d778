/**
 * The chaos scenarios: real processes (chaos-server.mjs servers from dist/, `jobgate
 * worker` remote workers, the servers' pool workers and in-process workers), a real
 * store (a SQLite file, or a redis-server with AOF fsync always), jobs submitted over
 * HTTP while the harness kills and stops processes. Each scenario ends when every
 * accepted job settled (or a deadline passed) and is judged by chaos-check.ts.
 * Run by the CI-sized suites (chaos.*.test.ts) and by `npm run chaos`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisStore } from '../../../src/store/redis/redis-store.js';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { JobStore } from '../../../src/store/store.js';
import {
  jobgateBin,
  killAll,
  repoRoot,
  type Spawned,
  spawnNode,
  waitForOutput,
} from '../../helpers/children.js';
import { startRedis, type TestRedis } from '../../helpers/redis-server.js';
import { type ChaosFigures, checkChaos, type Fault, type FinalJob, readLog } from './chaos-check.js';

export type ChaosStore = 'sqlite' | 'redis';
export type ScenarioName = 'worker-kill' | 'server-kill' | 'worker-stop' | 'store-kill' | 'store-stop';

export const scenarioStores: Record<ScenarioName, ChaosStore[]> = {
  'worker-kill': ['sqlite', 'redis'],
  'server-kill': ['sqlite', 'redis'],
  'worker-stop': ['sqlite', 'redis'],
  'store-kill': ['redis'],
  'store-stop': ['redis'],
};

export interface ScenarioResult extends ChaosFigures {
  scenario: ScenarioName;
  store: ChaosStore;
  leaseMs: number;
  sweepMs: number;
  /** lease + sweep + 1 s: the reclaim target. */
  reclaimTargetMs: number;
  /** Faults injected. */
  faults: number;
  seconds: number;
}

const here = join(repoRoot, 'test', 'reliability', 'chaos');
const handlers = join(here, 'chaos-handlers.mjs');
const adminKey = 'jg-chaos-admin-key-0123456789abcdef';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const random = (n: number) => Math.floor(Math.random() * n);

interface Proc {
  spawned: Spawned;
  pid: number;
  url?: string;
}

class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'jobgate-chaos-'));
  readonly log = join(this.dir, 'executions.jsonl');
  readonly faults: Fault[] = [];
  servers: Proc[] = [];
  workers: Proc[] = [];
  /** Every process started, by pid: `server` or `remote` (pool workers are the others). */
  readonly roles = new Map<number, string>();
  redis: TestRedis | undefined;
  storeUrl = '';
  workerKey = '';

  constructor(
    readonly store: ChaosStore,
    readonly leaseMs: number,
    readonly sweepMs: number,
  ) {}

  async start(options: { servers: number; workers: number; pool: number; inProcess: number }) {
    if (this.store === 'redis') {
      this.redis = await startRedis({ appendonly: true });
      this.storeUrl = this.redis.url;
    } else this.storeUrl = join(this.dir, 'jobgate.db');
    for (let i = 0; i < options.servers; i++) this.servers.push(await this.startServer(options, i));
    const created = await this.api('POST', '/api/v1/keys', {
      owner: 'chaos-workers',
      role: 'worker',
      tier: 'chaos',
    });
    this.workerKey = (created.body as { key: string }).key;
    for (let i = 0; i < options.workers; i++) this.workers.push(await this.startWorker(i));
  }

  serverOptions: { pool: number; inProcess: number } = { pool: 0, inProcess: 0 };

  async startServer(options: { pool: number; inProcess: number }, index: number): Promise<Proc> {
    this.serverOptions = options;
    const spawned = spawnNode([join(here, 'chaos-server.mjs')], {
      CHAOS_STORE: this.storeUrl,
      CHAOS_ADMIN_KEY: adminKey,
      CHAOS_LEASE_MS: String(this.leaseMs),
      CHAOS_SWEEP_MS: String(this.sweepMs),
      // The first server runs the in-process workers and the pool; a second one only serves.
      CHAOS_IN_PROCESS: String(index === 0 ? options.inProcess : 0),
      CHAOS_POOL: String(index === 0 ? options.pool : 0),
      JOBGATE_CHAOS_LOG: this.log,
    });
    this.roles.set(spawned.process.pid!, 'server');
    const [, url] = await waitForOutput(spawned, /chaos server listening on (\S+)/, 30_000);
    return { spawned, pid: spawned.process.pid!, url: url! };
  }

  async startWorker(index: number): Promise<Proc> {
    const server = this.servers[index % this.servers.length]!;
    const spawned = spawnNode(
      [
        jobgateBin,
        'worker',
        '--url',
        server.url!,
        '--queues',
        'chaos',
        '--handlers',
        handlers,
        '--concurrency',
        '4',
      ],
      { JOBGATE_KEY: this.workerKey, JOBGATE_CHAOS_LOG: this.log },
    );
    this.roles.set(spawned.process.pid!, 'remote');
    await waitForOutput(spawned, /ready for/, 30_000);
    return { spawned, pid: spawned.process.pid!, url: server.url };
  }

  /** The first server that answers (another may be down). */
  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    let lastError: unknown;
    for (const server of this.servers) {
      try {
        const response = await fetch(`${server.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(5_000),
        });
        return { status: response.status, body: await response.json().catch(() => null) };
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  kill(proc: Proc, target: Fault['target']): void {
    this.faults.push({ kind: 'kill', target, pid: proc.pid, at: Date.now(), until: null, reclaimFrom: 'at' });
    proc.spawned.process.kill('SIGKILL');
  }

  async stop(pid: number, target: Fault['target'], ms: number): Promise<void> {
    const fault: Fault = {
      kind: 'stop',
      target,
      pid,
      at: Date.now(),
      until: null,
      reclaimFrom: target === 'store' ? 'until' : 'at',
    };
    this.faults.push(fault);
    process.kill(pid, 'SIGSTOP');
    await sleep(ms);
    process.kill(pid, 'SIGCONT');
    fault.until = Date.now();
  }

  /** Pids with a run in flight now (started, not ended), from the log. */
  busyPids(): Set<number> {
    const open = new Map<number, number>();
    for (const entry of readLog(this.log))
      open.set(entry.pid, (open.get(entry.pid) ?? 0) + (entry.e === 'start' ? 1 : -1));
    return new Set([...open].filter(([, n]) => n > 0).map(([pid]) => pid));
  }

  /** Waits (up to 3 s) for one of `pids` to have a run in flight, so a fault strikes work; else any. */
  async busyOne(pids: number[]): Promise<number> {
    const deadline = Date.now() + 3_000;
    while (Date.now() < deadline) {
      const busy = this.busyPids();
      const hit = pids.filter((pid) => busy.has(pid));
      if (hit.length) return hit[random(hit.length)]!;
      await sleep(50);
    }
    return pids[random(pids.length)]!;
  }

  /** Pool workers are the processes that ran `chaos-pool` jobs (their pids are in the log). */
  poolPids(): number[] {
    const serverPids = new Set(this.servers.map((s) => s.pid));
    const workerPids = new Set(this.workers.map((w) => w.pid));
    const pids = new Set<number>();
    for (const entry of readLog(this.log))
      if (!serverPids.has(entry.pid) && !workerPids.has(entry.pid)) pids.add(entry.pid);
    return [...pids];
  }

  async reader(): Promise<JobStore> {
    if (this.store === 'sqlite') return new SqliteStore({ file: this.storeUrl });
    const store = new RedisStore({ url: this.storeUrl, timeoutMs: 10_000 });
    await store.connect();
    return store;
  }

  async close(): Promise<void> {
    await killAll();
    await this.redis?.stop();
  }
}

/**
 * Submits `total` jobs at `perSecond` (a batch every 100 ms, so the faults strike a steady
 * load) over the servers; collects the ids answered 202 (accepted).
 */
async function submitAll(
  cluster: Cluster,
  total: number,
  perSecond: number,
  queues: string[],
  accepted: string[],
): Promise<void> {
  let sent = 0;
  let turn = 0;
  const batch = Math.max(1, Math.min(500, Math.round(perSecond / 10)));
  const begun = Date.now();
  const giveUp = begun + 120_000 + (total / perSecond) * 2_000;
  while (sent < total && Date.now() < giveUp) {
    // Keep to the rate: wait for the schedule to reach the next batch.
    const due = begun + (sent / perSecond) * 1_000;
    if (due > Date.now()) await sleep(due - Date.now());
    const size = Math.min(batch, total - sent);
    const server = cluster.servers[turn++ % cluster.servers.length]!;
    const jobs = Array.from({ length: size }, (_, i) => ({
      queue: queues[(sent + i) % queues.length],
      payload: { ms: 50 + random(200) },
      maxAttempts: 100,
    }));
    try {
      const response = await fetch(`${server.url}/api/v1/jobs/batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jobs }),
        signal: AbortSignal.timeout(5_000),
      });
      if (response.status === 202) {
        const body = (await response.json()) as { items: Array<{ status: string; job?: { id: string } }> };
        // Items the store could not take (an outage) were not accepted: they are sent again.
        let taken = 0;
        for (const item of body.items) {
          if (item.job && item.status !== 'error') {
            accepted.push(item.job.id);
            taken++;
          }
        }
        sent += taken;
        if (taken < size) await sleep(100);
      } else await sleep(100);
    } catch {
      // A server or the store is down: what was not answered 202 was not accepted.
      await sleep(100);
    }
  }
}

async function settle(cluster: Cluster, accepted: string[], deadlineMs: number): Promise<FinalJob[]> {
  const store = await cluster.reader();
  try {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const open = await Promise.all(
        ['chaos', 'chaos-pool'].map(async (queue) => {
          const counts = await store.counts(queue).catch(() => null);
          return counts ? counts.queued + counts.running + counts.scheduled : 1;
        }),
      );
      if (open.every((n) => n === 0) || Date.now() > deadline) break;
      await sleep(250);
    }
    const final: FinalJob[] = [];
    for (let i = 0; i < accepted.length; i += 200) {
      const jobs = await Promise.all(accepted.slice(i, i + 200).map((id) => store.get(id)));
      for (const job of jobs)
        if (job) final.push({ id: job.id, status: job.status, attempts: job.attempts, result: job.result });
    }
    return final;
  } finally {
    await store.close();
  }
}

/** The faults each scenario injects while jobs are submitted and run. */
const faultsOf: Record<ScenarioName, (cluster: Cluster, running: () => boolean) => Promise<void>> = {
  // Remote and pool workers SIGKILLed at random; a replacement starts for each remote one.
  async 'worker-kill'(cluster, running) {
    while (running()) {
      await sleep(400 + random(400));
      if (!running()) break;
      const pool = cluster.poolPids();
      if (pool.length && random(3) === 0) {
        const pid = await cluster.busyOne(pool);
        cluster.faults.push({
          kind: 'kill',
          target: 'worker',
          pid,
          at: Date.now(),
          until: null,
          reclaimFrom: 'at',
        });
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
        continue;
      }
      const pid = await cluster.busyOne(cluster.workers.map((w) => w.pid));
      const index = cluster.workers.findIndex((w) => w.pid === pid);
      cluster.kill(cluster.workers[index]!, 'worker');
      cluster.workers[index] = await cluster.startWorker(index);
    }
  },
  // A server SIGKILLed mid-run (on Redis one of two) and started again on the same store.
  async 'server-kill'(cluster, running) {
    await sleep(800);
    if (!running()) return;
    const index = cluster.servers.length - 1;
    const fault: Fault = {
      kind: 'kill',
      target: 'server',
      pid: cluster.servers[index]!.pid,
      at: Date.now(),
      until: null,
      // With two servers the other one's reaper is alive; with one, nothing reaps until it is back.
      reclaimFrom: cluster.servers.length > 1 ? 'at' : 'until',
    };
    cluster.faults.push(fault);
    cluster.servers[index]!.spawned.process.kill('SIGKILL');
    await sleep(300);
    cluster.servers[index] = await cluster.startServer(cluster.serverOptions, index);
    fault.until = Date.now();
  },
  // A remote worker SIGSTOPped past its lease (lease + 2 s), then continued: its late writes must be refused.
  async 'worker-stop'(cluster, running) {
    await sleep(500);
    if (!running()) return;
    const pid = await cluster.busyOne(cluster.workers.map((w) => w.pid));
    await cluster.stop(pid, 'worker', cluster.leaseMs + 2_000);
  },
  // Redis SIGKILLed for 10 s under load (AOF fsync always), then started on the same data.
  async 'store-kill'(cluster, running) {
    await sleep(800);
    if (!running()) return;
    const fault: Fault = {
      kind: 'kill',
      target: 'store',
      pid: cluster.redis!.pid()!,
      at: Date.now(),
      until: null,
      reclaimFrom: 'until',
    };
    cluster.faults.push(fault);
    process.kill(cluster.redis!.pid()!, 'SIGKILL');
    await sleep(10_000);
    await cluster.redis!.start();
    fault.until = Date.now();
  },
  // Redis SIGSTOPped (a hang) for 5 s, then continued.
  async 'store-stop'(cluster, running) {
    await sleep(800);
    if (!running()) return;
    await cluster.stop(cluster.redis!.pid()!, 'store', 5_000);
  },
};

export async function runScenario(
  scenario: ScenarioName,
  store: ChaosStore,
  options: { jobs: number; perSecond?: number; leaseMs?: number; sweepMs?: number; settleMs?: number },
): Promise<ScenarioResult> {
  // 3 s: a 1 s lease proved shorter than the stalls of a loaded two-core host (a holder
  // starved past its lease is re-run, which at-least-once allows but the targets count).
  const leaseMs = options.leaseMs ?? 3_000;
  const sweepMs = options.sweepMs ?? 250;
  const started = Date.now();
  const cluster = new Cluster(store, leaseMs, sweepMs);
  try {
    await cluster.start({
      servers: scenario === 'server-kill' && store === 'redis' ? 2 : 1,
      workers: 3,
      pool: scenario === 'worker-kill' ? 2 : 0,
      inProcess: 4,
    });
    const queues = scenario === 'worker-kill' ? ['chaos', 'chaos-pool'] : ['chaos'];
    const accepted: string[] = [];
    let submitting = true;
    const chaos = faultsOf[scenario](cluster, () => submitting);
    await submitAll(cluster, options.jobs, options.perSecond ?? 50, queues, accepted);
    submitting = false;
    await chaos;
    const final = await settle(cluster, accepted, options.settleMs ?? 60_000);
    await cluster.close();
    const figures = checkChaos({
      accepted,
      final,
      log: readLog(cluster.log),
      faults: cluster.faults,
      graceMs: leaseMs + sweepMs + 1_000,
    });
    return {
      scenario,
      store,
      leaseMs,
      sweepMs,
      reclaimTargetMs: leaseMs + sweepMs + 1_000,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      faults: cluster.faults.length,
      ...figures,
      examples: figures.examples.map((text) =>
        text.replace(/pid (\d+)/g, (_, pid) => `pid ${pid} (${cluster.roles.get(Number(pid)) ?? 'pool'})`),
      ),
    };
  } finally {
    await cluster.close();
  }
}

export function formatTable(results: ScenarioResult[]): string {
  const rows = [
    [
      'scenario',
      'store',
      'jobs',
      'faults',
      'lost',
      'duplicated (stalled, unexcused)',
      'overlapping (unexcused)',
      'stale writes',
      'reclaim p99 / max (n)',
      'target',
      's',
    ],
    ...results.map((r) => [
      r.scenario,
      r.store,
      String(r.jobs),
      String(r.faults),
      String(r.lost),
      `${r.duplicated} (${r.duplicatedStalled}, ${r.duplicatedUnexcused})`,
      `${r.overlapping} (${r.overlappingUnexcused})`,
      String(r.staleWrites),
      r.reclaimP99Ms === null ? '–' : `${r.reclaimP99Ms} / ${r.reclaimMaxMs} ms (${r.reclaims})`,
      `≤ ${r.reclaimTargetMs} ms`,
      String(r.seconds),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}
