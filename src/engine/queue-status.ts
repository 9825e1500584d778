/**
 * A queue at a glance: what its workers are doing, how many jobs are in each state,
 * and the wait a job submitted now should expect.
 *
 *   paused  the queue is paused (it admits jobs, hands none out)
 *   cold    no worker slot is up (ready, idle or running), whether or not jobs wait:
 *           a queue with no live worker is never ok (one starting counts as initializing)
 *   busy    every worker slot is running a job, or the queue's maxWorkers cap is reached
 *   ok      anything else
 *   unknown the store part could not be read (see `errors`)
 *
 * Worker counts come from the engine's worker directory (in memory, always there);
 * job counts and the queue's settings from the store, under a deadline. A store part
 * that fails or answers late is reported in `errors` and left null, never thrown.
 */

import type { WaitEstimate } from '../domain/wait-estimate.js';
import type { StatusCounts } from '../store/store.js';
import { type PartError, partError, readDeadlineMsDefault, withDeadline } from './deadline.js';
import type { Engine } from './engine.js';
import type { EffectivePolicy } from './policies/queue-policies.js';
import type { WorkerCounts } from './worker-directory.js';

export type QueueHealth = 'ok' | 'busy' | 'cold' | 'paused' | 'unknown';

export interface QueueJobCounts {
  scheduled: number;
  queued: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
  awaitingConfirmation: number;
}

export interface QueueStatus {
  queue: string;
  status: QueueHealth;
  paused: boolean | null;
  workers: WorkerCounts;
  jobs: QueueJobCounts | null;
  /** The wait of a job submitted now (`seconds` null with a reason when none can start); null when unknown. */
  estimatedWait: WaitEstimate | null;
  /** The queue's cap on running jobs; null = none (or unknown, see `errors`). */
  maxWorkers: number | null;
  /** What the queue's jobs get when a submit leaves a field out (docs/CAPACITY.md); null when unknown. */
  policy: EffectivePolicy | null;
  /** Parts that could not be read; absent when everything was. */
  errors?: PartError[];
}

export function jobCounts(counts: StatusCounts): QueueJobCounts {
  return {
    scheduled: counts.scheduled,
    queued: counts.queued,
    running: counts.running,
    completed: counts.completed,
    failed: counts.failed,
    cancelled: counts.cancelled,
    awaitingConfirmation: counts.awaiting_confirmation,
  };
}

/** The status rule, on its own so it can be read (and tested) in one place. */
export function classify(input: {
  paused: boolean;
  workers: WorkerCounts;
  jobs: Pick<QueueJobCounts, 'queued' | 'running'>;
  maxWorkers: number | null;
}): Exclude<QueueHealth, 'unknown'> {
  const { workers, jobs, maxWorkers } = input;
  if (input.paused) return 'paused';
  const up = workers.ready + workers.idle + workers.running;
  if (up === 0) return 'cold';
  const allRunning = workers.running > 0 && workers.running === up;
  const capReached = maxWorkers !== null && maxWorkers > 0 && jobs.running >= maxWorkers;
  if (allRunning || capReached) return 'busy';
  return 'ok';
}

export async function queueStatus(
  engine: Engine,
  queue: string,
  deadlineMs = readDeadlineMsDefault,
): Promise<QueueStatus> {
  const workers = engine.workers.states(queue);
  const errors: PartError[] = [];
  const [state, counts, stored] = await Promise.allSettled([
    withDeadline(engine.store.queueState(queue), deadlineMs, 'the queue settings'),
    withDeadline(engine.store.counts(queue), deadlineMs, 'the job counts'),
    withDeadline(engine.policies.of(queue), deadlineMs, 'the queue policy'),
  ]);
  const policy =
    state.status === 'fulfilled' && stored.status === 'fulfilled'
      ? engine.policies.effective(stored.value, state.value.maxQueued)
      : null;
  if (stored.status === 'rejected') errors.push(partError('policy', stored.reason));
  if (state.status === 'rejected') errors.push(partError('queue', state.reason));
  if (counts.status === 'rejected') errors.push(partError('jobs', counts.reason));
  const jobs = counts.status === 'fulfilled' ? jobCounts(counts.value) : null;
  if (state.status === 'rejected' || jobs === null) {
    return {
      queue,
      status: 'unknown',
      paused: state.status === 'fulfilled' ? state.value.paused : null,
      workers,
      jobs,
      estimatedWait: null,
      maxWorkers: state.status === 'fulfilled' ? state.value.maxWorkers : null,
      policy,
      errors,
    };
  }
  const { paused, maxWorkers } = state.value;
  const status = classify({ paused, workers, jobs, maxWorkers });
  // A new job waits behind every queued one; its type is unknown, so the queue-wide mean is used.
  const estimatedWait = await engine.waits.estimate({
    queue,
    type: '',
    position: jobs.queued + 1,
    running: jobs.running,
    paused,
    maxWorkers,
  });
  return {
    queue,
    status,
    paused,
    workers,
    jobs,
    estimatedWait,
    maxWorkers,
    policy,
    ...(errors.length > 0 ? { errors } : {}),
  };
}

/** Every queue the store or the worker directory knows, sorted by name. */
export async function knownQueues(engine: Engine, deadlineMs = readDeadlineMsDefault): Promise<string[]> {
  const stored = await withDeadline(engine.store.queues(), deadlineMs, 'the queue list');
  return [...new Set([...stored, ...engine.workers.queues()])].sort();
}
