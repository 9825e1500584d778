/**
 * The worker registry as a `WorkerDirectory`, which queue status, /health and metrics
 * read synchronously: a snapshot of the registry refreshed every `refreshMs` (so it
 * lags by at most that), counted in slots like every directory. A record this server
 * just wrote (a pool registering the worker it spawns) is `note`d into the snapshot at
 * once, so it counts as initializing from the spawn, not from the next refresh.
 *
 * A worker that serves several queues offers its free slots to each, but its running
 * slots count only in the queues whose jobs it runs (read from the running jobs at each
 * refresh): a worker running 5 jobs of queue A is not 5 running slots of queue B.
 */
import type { WorkerRecord } from '../store/store.js';
import { LoopService } from './services/loop-service.js';
import { noWorkers, type WorkerCounts, type WorkerDirectory } from './worker-directory.js';
import type { WorkerRegistry } from './worker-registry.js';

export const refreshMsDefault = 1_000;

/**
 * A worker's slots by state: a worker running 1 job of 4 has 1 running and 3 idle slots.
 * `runningHere`: of its running jobs, those of the queue counted (default all).
 */
export function addSlots(counts: WorkerCounts, record: WorkerRecord, runningHere?: number): void {
  const busy = Math.min(record.running, record.concurrency);
  const free = record.concurrency - busy;
  const running = Math.min(busy, runningHere ?? busy);
  switch (record.state) {
    case 'dead':
      return;
    case 'initializing':
      counts.initializing += record.concurrency;
      return;
    case 'draining':
      // Visible until it deregisters, even with its last job done.
      counts.draining += Math.max(1, running);
      return;
    case 'ready':
      counts.ready += free;
      counts.running += running;
      return;
    default:
      counts.idle += free;
      counts.running += running;
  }
}

/** Running jobs read per queue at a refresh to place a multi-queue worker's running slots. */
const runningReadMax = 500;

export class RegistryDirectory implements WorkerDirectory {
  readonly service: LoopService;
  private snapshot: WorkerRecord[] = [];
  /** Records noted since the last refresh began, kept over a listing that missed them. */
  private noted = new Map<string, { record: WorkerRecord; at: number }>();
  /** Multi-queue workers' running jobs per queue: worker id → queue → count. */
  private runningIn = new Map<string, Map<string, number>>();

  constructor(registry: WorkerRegistry, options: { refreshMs?: number } = {}) {
    this.service = new LoopService({
      name: 'worker-directory',
      intervalMs: options.refreshMs ?? refreshMsDefault,
      batchSize: Number.MAX_SAFE_INTEGER,
      tick: async () => {
        const began = Date.now();
        const listed = (await registry.list()).filter((record) => record.state !== 'dead');
        const ids = new Set(listed.map((record) => record.id));
        for (const [id, { record, at }] of this.noted) {
          if (at < began || ids.has(id)) this.noted.delete(id);
          else listed.push(record);
        }
        this.runningIn = await runningByQueue(registry, listed);
        this.snapshot = listed;
        return this.snapshot.length;
      },
    });
  }

  queues(): string[] {
    return [...new Set(this.snapshot.flatMap((record) => record.queues))].sort();
  }

  states(queue: string): WorkerCounts {
    const counts = noWorkers();
    for (const record of this.snapshot) {
      if (!record.queues.includes(queue)) continue;
      const here = record.queues.length > 1 ? (this.runningIn.get(record.id)?.get(queue) ?? 0) : undefined;
      addSlots(counts, record, here);
    }
    return counts;
  }

  /** Puts a record this server just wrote into the snapshot now (a pool's spawned worker). */
  note(record: WorkerRecord): void {
    this.noted.set(record.id, { record, at: Date.now() });
    this.snapshot = [...this.snapshot.filter((known) => known.id !== record.id), record];
  }

  /** Refreshes the snapshot now (tests, and callers that just changed the registry). */
  refresh(): Promise<number> {
    return this.service.runOnce();
  }

  start(): void {
    this.service.start();
  }

  stop(): Promise<void> {
    return this.service.stop();
  }
}

/** For each worker serving several queues and running jobs: its running jobs per queue. */
async function runningByQueue(
  registry: WorkerRegistry,
  records: readonly WorkerRecord[],
): Promise<Map<string, Map<string, number>>> {
  const shared = records.filter((record) => record.queues.length > 1 && record.running > 0);
  const byWorker = new Map<string, Map<string, number>>();
  if (shared.length === 0) return byWorker;
  const ids = new Set(shared.map((record) => record.id));
  const queues = [...new Set(shared.flatMap((record) => record.queues))];
  const pages = await Promise.all(
    queues.map((queue) => registry.engine.store.list({ status: 'running', queue, limit: runningReadMax })),
  );
  for (const page of pages)
    for (const job of page.items) {
      if (job.workerId === null || !ids.has(job.workerId)) continue;
      const counts = byWorker.get(job.workerId) ?? new Map<string, number>();
      counts.set(job.queue, (counts.get(job.queue) ?? 0) + 1);
      byWorker.set(job.workerId, counts);
    }
  return byWorker;
}

/** One directory over several (the in-process workers and the registry), slots added up. */
export function combineDirectories(...directories: WorkerDirectory[]): WorkerDirectory {
  return {
    queues: () => [...new Set(directories.flatMap((directory) => directory.queues()))].sort(),
    states: (queue) => {
      const total = noWorkers();
      for (const directory of directories) {
        const counts = directory.states(queue);
        for (const state of Object.keys(total) as Array<keyof WorkerCounts>) total[state] += counts[state];
      }
      return total;
    },
    wake: (queue) => {
      for (const directory of directories) directory.wake?.(queue);
    },
    reserveIdle: (queue) => {
      for (const directory of directories) {
        const slots = directory.reserveIdle?.(queue);
        if (slots) return slots;
      }
      return null;
    },
    coldStart: (queue) => {
      for (const directory of directories) {
        const cold = directory.coldStart?.(queue);
        if (cold) return cold;
      }
      return null;
    },
  };
}
