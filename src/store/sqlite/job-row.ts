import { parseAttemptHistory } from '../../domain/attempt.js';
import type { Job, JobError } from '../../domain/job.js';
import type { JobStatus } from '../../domain/job-states.js';

/** A `jobs` row as better-sqlite3 returns it. */
export interface JobRow {
  seq: number;
  id: string;
  queue: string;
  type: string;
  status: JobStatus;
  priority: number;
  eff_priority: number;
  payload: string | null;
  result: string | null;
  error: string | null;
  attempts: number;
  max_attempts: number;
  timeout_ms: number | null;
  progress_percent: number;
  progress_stage: string | null;
  progress_message: string | null;
  owner: string;
  project: string;
  parent_id: string | null;
  root_id: string | null;
  depth: number;
  granted_iterations: number;
  iteration_allowance: number | null;
  created_at: number;
  run_at: number;
  started_at: number | null;
  finished_at: number | null;
  worker_id: string | null;
  lease_token: string | null;
  lease_expires_at: number | null;
  cancel_requested: number;
  attempt_history: string | null;
  attempts_dropped: number;
}

function parseJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

export function toJob(row: JobRow): Job {
  return {
    id: row.id,
    queue: row.queue,
    type: row.type,
    status: row.status,
    priority: row.priority,
    payload: parseJson(row.payload),
    result: parseJson(row.result),
    error: parseJson(row.error) as JobError | null,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    progress: { percent: row.progress_percent, stage: row.progress_stage, message: row.progress_message },
    owner: row.owner,
    projectId: row.project === '' ? null : row.project,
    parentId: row.parent_id,
    depth: row.depth,
    iterationAllowance: row.iteration_allowance,
    createdAt: row.created_at,
    runAt: row.run_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    workerId: row.worker_id,
    leaseExpiresAt: row.lease_expires_at,
    cancelRequested: row.cancel_requested === 1,
    ...(row.attempt_history === null || row.attempt_history === undefined
      ? {}
      : { attemptHistory: parseAttemptHistory(row.attempt_history, row.attempts_dropped ?? 0) }),
  };
}

export function encodeCursor(seq: number): string {
  return Buffer.from(String(seq)).toString('base64url');
}

export function decodeCursor(cursor: string): number | null {
  const seq = Number(Buffer.from(cursor, 'base64url').toString());
  return Number.isSafeInteger(seq) && seq > 0 ? seq : null;
}
