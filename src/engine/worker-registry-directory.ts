/**
 * The worker registry as a `WorkerDirectory`, which queue status, /health and metrics
 * read synchronously: a snapshot of the registry refreshed every `refreshMs` (so it
 * lags by at most that), counted in slots like every directory. A worker that serves
 * several queues counts in each.
 */
import type { WorkerRecord } from '../store/store.js';
import { LoopService } from './services/loop-service.js';
import { noWorkers, type WorkerCounts, type WorkerDirectory } from './worker-directory.js';
import type { WorkerRegistry } from './worker-registry.js';

export const refreshMsDefault = 1_000;

/** A worker's slots by state: a worker running 1 job of 4 has 1 running and 3 idle slots. */
export function addSlots(counts: WorkerCounts, record: WorkerRecord): void {
  const running = Math.min(record.running, record.concurrency);
  const free = record.concurrency - running;
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

export class RegistryDirectory implements WorkerDirectory {
  readonly service: LoopService;
  private snapshot: WorkerRecord[] = [];

  constructor(registry: WorkerRegistry, options: { refreshMs?: number } = {}) {
    this.service = new LoopService({
      name: 'worker-directory',
      intervalMs: options.refreshMs ?? refreshMsDefault,
      batchSize: Number.MAX_SAFE_INTEGER,
      tick: async () => {
        this.snapshot = (await registry.list()).filter((record) => record.state !== 'dead');
        return this.snapshot.length;
      },
    });
  }

  queues(): string[] {
    return [...new Set(this.snapshot.flatMap((record) => record.queues))].sort();
  }

  states(queue: string): WorkerCounts {
    const counts = noWorkers();
    for (const record of this.snapshot) if (record.queues.includes(queue)) addSlots(counts, record);
    return counts;
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
  };
}
