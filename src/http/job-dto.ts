/** The job as the API shows it: times as ISO 8601 strings, internal fields left out. */
import type { Job } from '../domain/job.js';
import type { WaitEstimate } from '../domain/wait-estimate.js';
import type { Usage } from '../engine/engine.js';
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

export function jobDto(job: Job, extras: JobExtras = {}) {
  return {
    id: job.id,
    queue: job.queue,
    type: job.type,
    status: job.status,
    priority: job.priority,
    payload: job.payload,
    result: job.result,
    error: job.error,
    attempts: job.attempts,
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
