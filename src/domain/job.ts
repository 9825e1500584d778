import type { AttemptHistory } from './attempt.js';
import type { JobStatus } from './job-states.js';

export interface JobProgress {
  percent: number;
  stage: string | null;
  message: string | null;
}

export interface JobError {
  message: string;
  /**
   * Whether Jobgate will try the job again by itself: as the worker reported it while a
   * retry is scheduled; false once the job failed (or was cancelled) for good. A worker
   * that reports false fails the job at once, whatever attempts remain.
   */
  retryable: boolean;
  stack?: string;
}

/** A job as every backend returns it. Times are epoch milliseconds. */
export interface Job {
  id: string;
  queue: string;
  type: string;
  status: JobStatus;
  priority: number;
  payload: unknown;
  result: unknown;
  error: JobError | null;
  attempts: number;
  maxAttempts: number;
  timeoutMs: number | null;
  progress: JobProgress;
  owner: string;
  projectId: string | null;
  parentId: string | null;
  /** 0 for a first job, parent depth + 1 for a follow-up iteration. */
  depth: number;
  /** The deepest follow-up depth this job's chain may reach without a confirmation; null = unlimited. */
  iterationAllowance: number | null;
  createdAt: number;
  runAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** The worker holding the current lease; null unless running. */
  workerId: string | null;
  leaseExpiresAt: number | null;
  cancelRequested: boolean;
  /** Its attempts so far, as the store recorded each lease's end (src/domain/attempt.ts). */
  attemptHistory?: AttemptHistory;
}

/** A job handed to a worker by `claim`, with the fencing token it must present. */
export interface ClaimedJob extends Job {
  leaseToken: string;
}

/**
 * `job` as claimed under `token`, the token set on the job object itself: the caller
 * passes a job it just built. Not `{ ...job, leaseToken }`: in Node 20's V8 a spread
 * followed by a property the source lacks builds a fresh hidden class per object, which
 * made every claimed job survive into the old generation (a busy worker spent three
 * times BullMQ's time in scavenges; bench/redis.ts, docs/BENCHMARKS.md).
 */
export function asClaimed(job: Job, token: string): ClaimedJob {
  const claimed = job as ClaimedJob;
  claimed.leaseToken = token;
  return claimed;
}

export const PRIORITY_HIGHEST = 1;
export const PRIORITY_LOWEST = 10;
export const PRIORITY_DEFAULT = 5;

export const EMPTY_PROGRESS: JobProgress = { percent: 0, stage: null, message: null };
