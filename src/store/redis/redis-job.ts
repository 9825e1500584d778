import { parseAttemptHistory } from '../../domain/attempt.js';
import { asClaimed, type ClaimedJob, type Job, type JobError } from '../../domain/job.js';
import type { JobStatus } from '../../domain/job-states.js';
import type { NewJob } from '../store.js';

/**
 * A job hash keeps the fields the scripts read or write one by one, the payload, and what
 * does not change in one short `body` field: a JSON array [createdAt, type, priority,
 * timeoutMs, maxAttempts, a root's iteration allowance]. The script that admits a job
 * writes `[<createdAt>,`, this part, and the allowance (a follow-up's, which grows when
 * confirmed, is its own field, as is its parent: an id would take the body past the 64
 * bytes a listpack value may have). The id is the key's; every reply that carries a job
 * hash appends it.
 */
export function bodyRest(job: Pick<NewJob, 'type' | 'priority' | 'timeoutMs' | 'maxAttempts'>): string {
  return `${JSON.stringify(job.type)},${job.priority},${job.timeoutMs ?? 'null'},${job.maxAttempts}`;
}

type PackedBody = [number, string, number, number | null, number, number | null];

/** created_at from a packed body without parsing the payload: it is the first number. */
export function packedCreatedAt(body: string): number {
  return Number.parseInt(body.slice(1), 10);
}

/**
 * A job's group score (`gs`) is (effective priority + 20) * GROUP_SCORE_BASE + seq, seq being
 * its shard's admission counter (see SCORE_BASE in common.lua).
 */
const GROUP_SCORE_BASE = 1e12;

/** A job's seq, from its hash as HGETALL returns it (flat [field, value, …]). */
export function seqOf(flat: string[]): number | undefined {
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === 'gs') {
      const gs = Number(flat[i + 1]);
      return gs - Math.floor(gs / GROUP_SCORE_BASE) * GROUP_SCORE_BASE;
    }
  }
  return undefined;
}

/** A job hash as HGETALL returns it (flat [field, value, …]); absent fields are null, or 0 for counters. */
export function toFields(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

// Optional fields are absent or '' when unset: the scripts blank a new attempt's last
// error in the same write as the status, instead of a delete. A job's lease fields
// count only while it runs (the scripts leave them behind when it stops).
const int = (value: string | undefined) => (value === undefined || value === '' ? null : Number(value));
const json = (value: string | undefined) =>
  value === undefined || value === '' ? null : (JSON.parse(value) as unknown);

export function toJob(flat: string[]): Job {
  return fieldsToJob(toFields(flat));
}

function fieldsToJob(f: Record<string, string>): Job {
  const running = f.status === 'running';
  const [createdAt, type, priority, timeoutMs, maxAttempts, rootAllowance] = JSON.parse(
    f.body!,
  ) as PackedBody;
  return {
    id: f.id!,
    queue: f.queue!,
    type,
    status: f.status as JobStatus,
    priority,
    payload: json(f.payload),
    result: json(f.result),
    error: json(f.error) as JobError | null,
    attempts: Number(f.attempts ?? 0),
    maxAttempts,
    timeoutMs,
    progress: { percent: Number(f.pp ?? 0), stage: f.ps ?? null, message: f.pm ?? null },
    owner: f.owner!,
    projectId: f.project ? f.project : null,
    parentId: f.parent_id ?? null,
    depth: Number(f.depth ?? 0),
    iterationAllowance: f.allowance === undefined ? rootAllowance : int(f.allowance),
    createdAt,
    // Absent for a job due at once: it runs at its creation.
    runAt: f.run_at === undefined ? createdAt : Number(f.run_at),
    startedAt: int(f.started_at),
    finishedAt: int(f.finished_at),
    workerId: running ? f.worker_id || null : null,
    leaseExpiresAt: running ? int(f.lease_expires_at) : null,
    cancelRequested: f.cancel_requested === '1',
    // Left out until a lease ended (as every backend does): a fresh job reads the same everywhere.
    ...(f.ah === undefined ? {} : { attemptHistory: parseAttemptHistory(f.ah, Number(f.ahd ?? 0)) }),
  };
}

/** What a claimer knows of its lease: the claim's reply leaves these out (see claimJobs in common.lua). */
export interface LeaseTerms {
  workerId: string;
  leaseMs: number;
}

/** A job leased by claimJobs: the hash as read, then the claim's attempts and started_at (and blanked error/cancel). */
export function toClaimedJob(flat: string[], lease: LeaseTerms, token: string): ClaimedJob {
  const fields = toFields(flat);
  fields.status = 'running';
  fields.worker_id = lease.workerId;
  fields.lease_token = token;
  fields.lease_expires_at = String(Number(fields.started_at) + lease.leaseMs);
  return asClaimed(fieldsToJob(fields), token);
}

/** A job leased as it was admitted (see handOff in admission.lua): as a claim would have leased it, that instant. */
export function handedOffJob(job: Job, lease: LeaseTerms, token: string): ClaimedJob {
  const running: Job = {
    ...job,
    status: 'running',
    attempts: 1,
    startedAt: job.createdAt,
    workerId: lease.workerId,
    leaseExpiresAt: job.createdAt + lease.leaseMs,
  };
  return asClaimed(running, token);
}

/**
 * A job completed by complete_and_claim.lua in brief: the job as its worker claimed it,
 * the stored result, and what the script read back (finished_at; ps, pm and
 * cancel_requested when set: the run may have changed them since the claim).
 */
export function completedJob(known: Job, flat: string[], resultJson: string): Job {
  const f = toFields(flat);
  // `known` may be a ClaimedJob: its lease token is no part of a finished job.
  const { leaseToken: _token, ...job } = known as Job & { leaseToken?: string };
  return {
    ...job,
    status: 'completed',
    result: JSON.parse(resultJson) as unknown,
    progress: { percent: 100, stage: f.ps ?? null, message: f.pm ?? null },
    finishedAt: Number(f.finished_at),
    workerId: null,
    leaseExpiresAt: null,
    cancelRequested: f.cancel_requested === '1',
  };
}
