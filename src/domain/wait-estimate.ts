/**
 * The one wait formula (docs/CAPACITY.md, "Estimated wait"): what a queued job should
 * expect before it starts, from its place in line, the queue's slots, its owner's and
 * project's limits and the learned run and start times. Pure: the engine gathers the
 * inputs (engine/wait-inputs.ts) for every caller — submit, job view, queue status, and
 * through them the dashboard and the CLI.
 *
 * A line of `slots` parallel servers drains one job per `meanRun / slots`:
 *
 *   drain(p, free, slots) = 0                           when p ≤ free
 *                         = (p − free) × meanRun / slots  otherwise
 *
 *   queue   = drain(position, slots − running, slots)
 *   owner   = drain(ownerAhead + 1, limit − ownerRunning, limit)     (when the tier limits it)
 *   project = drain(projectAhead + 1, limit − projectRunning, limit)  (likewise)
 *   wait    = max(queue, owner, project)
 *
 * A job cannot start while its queue is paused (`paused`, seconds null) or while no
 * worker slot is up: then either a pool will start one (`cold_start`: seconds =
 * the pool's measured start time still to go + the wait once its slots are up; null
 * until a start has been measured) or nothing will (`no_workers`, seconds null).
 */

export type WaitReason = 'paused' | 'no_workers' | 'cold_start';
export type WaitConfidence = 'low' | 'medium' | 'high';

export interface WaitEstimate {
  /** null: the job cannot start now and no time can be given (see `reason`). */
  seconds: number | null;
  confidence: WaitConfidence;
  /** Why the job cannot start now; absent when a worker slot is up and the queue runs. */
  reason?: WaitReason;
  /** With `cold_start`: the pool's measured start time still to go; null before any was measured. */
  coldStartSeconds?: number | null;
}

/** A limit the job's start waits on (its owner's or its project's running jobs). */
export interface LimitLoad {
  limit: number;
  running: number;
  /** The owner's (project's) queued jobs that start before this one. */
  ahead: number;
}

/** Slots a pool brings up for a queue with none. */
export interface ColdStart {
  /** Slots it will run once started (its max workers × their concurrency, capped by the queue). */
  slots: number;
  /** Mean measured time from a waiting job to a registered worker; null before any start. */
  startMs: number | null;
  startSamples: number;
  /** How long the oldest worker it is starting now has been starting; null when none is. */
  startingForMs: number | null;
}

export interface WaitInputs {
  /** 1 = next, in the queue's claim order. */
  position: number;
  meanRunMs: number;
  runSamples: number;
  paused: boolean;
  /** Worker slots up (ready, idle or running), capped by the queue's maxWorkers. */
  slots: number;
  /** The queue's running jobs. */
  running: number;
  /** What a pool will start when `slots` is 0; null when no pool will. */
  cold: ColdStart | null;
  limits: readonly LimitLoad[];
}

export function confidenceOf(samples: number): WaitConfidence {
  return samples >= 30 ? 'high' : samples >= 5 ? 'medium' : 'low';
}

/** Time for the job at `position` to get a slot when `slots` work in parallel and `free` are open. */
export function drainMs(position: number, free: number, slots: number, meanRunMs: number): number {
  const open = Math.max(0, free);
  if (position <= open) return 0;
  return ((position - open) * meanRunMs) / Math.max(1, slots);
}

function limitedMs(inputs: WaitInputs, slots: number, running: number): number {
  let ms = drainMs(inputs.position, slots - running, slots, inputs.meanRunMs);
  for (const load of inputs.limits) {
    if (load.limit <= 0) continue;
    ms = Math.max(ms, drainMs(load.ahead + 1, load.limit - load.running, load.limit, inputs.meanRunMs));
  }
  return ms;
}

const seconds = (ms: number) => Math.round(ms) / 1000;

export function estimateWait(inputs: WaitInputs): WaitEstimate {
  const confidence = confidenceOf(inputs.runSamples);
  if (inputs.paused) return { seconds: null, confidence: 'low', reason: 'paused' };
  if (inputs.slots > 0)
    return { seconds: seconds(limitedMs(inputs, inputs.slots, inputs.running)), confidence };
  const { cold } = inputs;
  if (!cold || cold.slots <= 0) return { seconds: null, confidence: 'low', reason: 'no_workers' };
  if (cold.startMs === null)
    return { seconds: null, confidence: 'low', reason: 'cold_start', coldStartSeconds: null };
  const startLeftMs = Math.max(0, cold.startMs - (cold.startingForMs ?? 0));
  // Once up, the pool's slots are all free and the running jobs (none can run now) are gone.
  const afterMs = limitedMs(inputs, cold.slots, 0);
  return {
    seconds: seconds(startLeftMs + afterMs),
    confidence: confidenceOf(Math.min(inputs.runSamples, cold.startSamples)),
    reason: 'cold_start',
    coldStartSeconds: seconds(startLeftMs),
  };
}
