/**
 * The long-poll behind a remote worker's lease request. It claims from the worker's
 * queues in turn; with nothing to claim it sleeps until an engine event on one of
 * those queues may have made a job claimable (a job queued, a slot freed), until
 * `recheckMs` passes (events from other servers may not reach this one), or until the
 * wait is over. A wake that lands while a claim is in flight is kept, so it is never
 * lost between the claim and the sleep.
 */
import type { ClaimedJob } from '../domain/job.js';
import type { WorkerRecord } from '../store/store.js';
import type { Engine } from './engine.js';
import type { JobEventKind } from './events.js';

export interface LeaseRequest {
  /** Jobs wanted at most (1–100); default 1. */
  max?: number;
  /** How long to wait for work, capped by the registry's maxWaitMs; default that cap. */
  waitMs?: number;
  /** Jobs the worker runs now, for its record. */
  running?: number;
  /** `ready` until it has run its first job, then `idle`. */
  state?: 'ready' | 'idle';
}

/** Transitions that can make a job of the queue claimable. */
const wakeKinds = new Set<JobEventKind>([
  'queued',
  'completed',
  'failed',
  'cancelled',
  'released',
  'requeued',
]);

/** Lease requests waiting now, by worker, so a draining or deregistered worker's wait ends at once. */
export class PendingPolls {
  private readonly byWorker = new Map<string, Set<() => void>>();

  add(workerId: string, cancel: () => void): () => void {
    let set = this.byWorker.get(workerId);
    if (!set) {
      set = new Set();
      this.byWorker.set(workerId, set);
    }
    set.add(cancel);
    return () => {
      set.delete(cancel);
      if (set.size === 0 && this.byWorker.get(workerId) === set) this.byWorker.delete(workerId);
    };
  }

  cancel(workerId: string): void {
    for (const cancel of this.byWorker.get(workerId) ?? []) cancel();
  }

  cancelAll(): void {
    for (const set of this.byWorker.values()) for (const cancel of set) cancel();
  }
}

export interface LongPollOptions {
  engine: Engine;
  polls: PendingPolls;
  worker: WorkerRecord;
  max: number;
  waitMs: number;
  recheckMs: number;
  isClosed: () => boolean;
  signal: AbortSignal | undefined;
  onClaimed: (count: number) => Promise<unknown>;
}

export async function leaseByLongPoll(options: LongPollOptions): Promise<ClaimedJob[]> {
  const { engine, worker, signal } = options;
  const queues = new Set(worker.queues);
  let woken = false;
  let cancelled = false;
  let wakeUp: (() => void) | null = null;
  const wake = () => {
    woken = true;
    wakeUp?.();
  };
  const unsubscribe = engine.events.subscribe((event) => {
    if (queues.has(event.job.queue) && wakeKinds.has(event.kind)) wake();
  });
  const unpoll = options.polls.add(worker.id, () => {
    cancelled = true;
    wake();
  });
  signal?.addEventListener('abort', wake);
  const over = () => cancelled || options.isClosed() || signal?.aborted === true;
  const deadline = Date.now() + options.waitMs;
  try {
    // A random first queue per request, then round robin: over many requests no queue starves another.
    for (let turn = Math.floor(Math.random() * worker.queues.length); !over(); turn++) {
      woken = false;
      const jobs = await claimInTurn(engine, worker, options.max, turn);
      if (jobs.length > 0) {
        if (over()) {
          // Nobody will run them: give them back now rather than at lease expiry.
          await Promise.allSettled(jobs.map((job) => engine.release({ id: job.id, token: job.leaseToken })));
          return [];
        }
        await options.onClaimed(jobs.length).catch(() => {});
        return jobs;
      }
      const left = deadline - Date.now();
      if (left <= 0) return [];
      if (!woken) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(left, options.recheckMs));
          function done() {
            clearTimeout(timer);
            resolve();
          }
          wakeUp = done;
        });
        wakeUp = null;
      }
    }
    return [];
  } finally {
    unsubscribe();
    unpoll();
    signal?.removeEventListener('abort', wake);
  }
}

/** Claims from the worker's queues, starting at queue number `turn`. */
async function claimInTurn(
  engine: Engine,
  worker: WorkerRecord,
  max: number,
  turn: number,
): Promise<ClaimedJob[]> {
  const jobs: ClaimedJob[] = [];
  const count = worker.queues.length;
  for (let i = 0; i < count && jobs.length < max; i++) {
    const queue = worker.queues[(turn + i) % count]!;
    jobs.push(...(await engine.claim({ queue, workerId: worker.id, limit: max - jobs.length })));
  }
  return jobs;
}
