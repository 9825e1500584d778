/**
 * A leased job as the lease answer carries it (times as ISO 8601) turned back into the
 * Job that in-process handlers get (times as epoch ms), so one handler module runs
 * in-process, in a pool or on a remote host unchanged.
 */
import type { JobView } from '../../client/types.js';
import type { ClaimedJob, JobError } from '../../domain/job.js';

/** The job view every API answer uses (src/client/types.ts), plus the lease. */
export type LeasedJobWire = Omit<JobView, 'error'> & {
  error: JobError | null;
  leaseToken: string;
  leaseExpiresAt: string | null;
  workerId: string | null;
};

const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));

export function jobFromWire(wire: LeasedJobWire): ClaimedJob {
  return {
    id: wire.id,
    queue: wire.queue,
    type: wire.type,
    status: wire.status,
    priority: wire.priority,
    payload: wire.payload,
    result: wire.result,
    error: wire.error,
    attempts: wire.attempts,
    maxAttempts: wire.maxAttempts,
    timeoutMs: wire.timeoutMs,
    progress: wire.progress,
    owner: wire.owner,
    projectId: wire.projectId,
    parentId: wire.parentId,
    depth: wire.depth,
    // Not part of the wire: the server enforces it.
    iterationAllowance: null,
    cancelRequested: wire.cancelRequested,
    createdAt: Date.parse(wire.createdAt),
    runAt: Date.parse(wire.runAt),
    startedAt: ms(wire.startedAt),
    finishedAt: ms(wire.finishedAt),
    workerId: wire.workerId,
    leaseExpiresAt: ms(wire.leaseExpiresAt),
    leaseToken: wire.leaseToken,
  };
}
