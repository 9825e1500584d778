/** The job as the API shows it: times as ISO 8601 strings, internal fields left out. */
import type { Job } from '../domain/job.js';
import type { WaitEstimate } from '../domain/wait-estimate.js';
import type { Usage } from '../engine/engine.js';
import type { Principal } from '../engine/principal.js';
import { iso } from './iso-time.js';

export interface UsageDto {
  jobsUsed: number;
  jobsRemaining: number | null;
  iterationsUsed: number;
  iterationsRemaining: number | null;
  dailyLimitResetsAt: string;
}

export function usageDto(usage: Usage): UsageDto {
  return { ...usage, dailyLimitResetsAt: iso(usage.dailyLimitResetsAt) };
}

export interface JobExtras {
  position?: number | null;
  estimatedWait?: WaitEstimate | null;
  usage?: UsageDto;
  message?: string;
}

/**
 * A failed attempt's stack (with the server's file paths) is for admins and workers; a
 * tenant sees the error's message and whether it will be retried.
 */
export function errorFor(job: Job, viewer: Pick<Principal, 'role'> | undefined): Job['error'] {
  if (!job.error?.stack || (viewer && viewer.role !== 'tenant')) return job.error;
  const { stack: _stack, ...shown } = job.error;
  return shown;
}

/** The attempts as the API shows them: ISO times, the wait and duration, stacks as for `error`. */
function attemptsDto(job: Job, viewer: Pick<Principal, 'role'> | undefined) {
  return (job.attemptHistory?.items ?? []).map((a) => ({
    attempt: a.attempt,
    workerId: a.workerId,
    queueWaitMs: a.runAt === null ? null : Math.max(0, a.startedAt - a.runAt),
    startedAt: iso(a.startedAt),
    endedAt: iso(a.endedAt),
    durationMs: Math.max(0, a.endedAt - a.startedAt),
    outcome: a.outcome,
    error: a.error && errorFor({ ...job, error: a.error }, viewer),
  }));
}

/** `viewer`: who asks; without one the stack is left out, as for a tenant. */
export function jobDto(job: Job, extras: JobExtras = {}, viewer?: Pick<Principal, 'role'>) {
  return {
    id: job.id,
    queue: job.queue,
    type: job.type,
    status: job.status,
    priority: job.priority,
    payload: job.payload,
    result: job.result,
    error: errorFor(job, viewer),
    attempts: job.attempts,
    attemptHistory: attemptsDto(job, viewer),
    attemptsDropped: job.attemptHistory?.dropped ?? 0,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    progress: job.progress,
    owner: job.owner,
    projectId: job.projectId,
    parentId: job.parentId,
    depth: job.depth,
    cancelRequested: job.cancelRequested,
    createdAt: iso(job.createdAt),
    runAt: iso(job.runAt),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    ...extras,
  };
}
