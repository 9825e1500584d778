/**
 * Who reports how many workers a queue has and what they are doing. The engine is
 * given one (`engine.setWorkerDirectory`) and reads it for queue status, /health and
 * metrics; it never starts or stops workers through it.
 *
 * Counts are of worker *slots*: an in-process worker with concurrency 4 is four slots.
 * A slot's state:
 *   initializing  being started (a pool's cold start); cannot take a job yet
 *   ready         started, has not taken its first job
 *   idle          waiting for a job
 *   running       running a job
 *   draining      finishing its job before it stops; takes no new one
 */
import type { IdleSlots } from '../domain/idle-slots.js';
import type { ColdStart } from '../domain/wait-estimate.js';
import type { WorkerState } from '../store/store.js';

/** The registry's worker states less `dead`: a dead worker has no slots. */
export type WorkerSlotState = Exclude<WorkerState, 'dead'>;

export const WORKER_SLOT_STATES: readonly WorkerSlotState[] = [
  'initializing',
  'ready',
  'idle',
  'running',
  'draining',
];

export type WorkerCounts = Record<WorkerSlotState, number>;

export interface WorkerDirectory {
  /** Queues that have at least one worker slot registered. */
  queues(): string[];
  /** Slots of `queue` by state; all zero when it has none. */
  states(queue: string): WorkerCounts;
  /** Tells idle workers of `queue` that work may be waiting (after a resume). Optional. */
  wake?(queue: string): void;
  /**
   * Holds the free slots of an idle worker of `queue`, so that a submit can claim for it
   * in its own admission step (`store.admitAndClaim`) instead of waking it to claim after.
   * Null when no worker of the queue is idle. Optional.
   */
  reserveIdle?(queue: string): IdleSlots | null;
  /** What a pool will start for `queue` while it has no slot up; null (or absent) when none will. */
  coldStart?(queue: string): ColdStart | null;
}

export function noWorkers(): WorkerCounts {
  return { initializing: 0, ready: 0, idle: 0, running: 0, draining: 0 };
}

/** The directory of an engine that was given none: no queue has workers. */
export const emptyWorkerDirectory: WorkerDirectory = {
  queues: () => [],
  states: () => noWorkers(),
};
