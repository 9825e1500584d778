/** The API's JSON shapes, as the client sees them (no server imports). */
export type JobStatus =
  | 'scheduled'
  | 'queued'
  | 'running'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'awaiting_confirmation';

/**
 * A queued job's expected wait (docs/CAPACITY.md). `seconds` is null when no worker can
 * start it now and no time can be given: `reason` says why (`paused`, `no_workers`, or
 * `cold_start` before a pool start was measured). With `cold_start`, `seconds` includes
 * `coldStartSeconds`, the pool's start time still to go.
 */
export interface EstimatedWait {
  seconds: number | null;
  confidence: 'low' | 'medium' | 'high';
  reason?: 'paused' | 'no_workers' | 'cold_start';
  coldStartSeconds?: number | null;
}

export interface AttemptView {
  attempt: number;
  workerId: string | null;
  /** From due to start. */
  queueWaitMs: number | null;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  outcome: 'completed' | 'failed' | 'timed_out' | 'lease_lost' | 'cancelled' | 'released';
  error: { message: string; retryable: boolean; stack?: string } | null;
}

export interface JobView {
  id: string;
  queue: string;
  type: string;
  status: JobStatus;
  priority: number;
  payload: unknown;
  result: unknown;
  error: { message: string; retryable: boolean } | null;
  attempts: number;
  /** The last 20 attempts, oldest first; `error.stack` for admins only. */
  attemptHistory: AttemptView[];
  /** Older attempts no longer kept. */
  attemptsDropped: number;
  maxAttempts: number;
  timeoutMs: number | null;
  progress: { percent: number; stage: string | null; message: string | null };
  owner: string;
  projectId: string | null;
  parentId: string | null;
  depth: number;
  cancelRequested: boolean;
  createdAt: string;
  runAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  position?: number | null;
  estimatedWait?: EstimatedWait | null;
  usage?: {
    jobsUsed: number;
    jobsRemaining: number | null;
    iterationsUsed: number;
    iterationsRemaining: number | null;
    dailyLimitResetsAt: string;
  };
  message?: string;
}

export interface SubmitRequest {
  queue: string;
  type?: string;
  payload?: unknown;
  priority?: number;
  runAt?: string;
  delayMs?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  projectId?: string;
  parentId?: string;
}

export interface JobListQuery {
  status?: JobStatus;
  queue?: string;
  type?: string;
  owner?: string;
  /** Jobs whose id starts with this (the short id a list shows). */
  id?: string;
  limit?: number;
  cursor?: string;
}

export const terminalStatuses: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

/** A file a job made (docs/ARTIFACTS.md); `url` reads it without an API key until `expiresAt`. */
export interface ArtifactView {
  name: string;
  size: number;
  contentType: string;
  sha256: string;
  createdAt: string;
  url: string;
  expiresAt: string;
}
