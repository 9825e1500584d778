/**
 * What a worker needs from the queue. The engine implements it in-process; the
 * remote worker SDK implements it over HTTP. Both give the same guarantees: every
 * write presents the lease token and is refused once the lease is lost.
 */
import type { Readable } from 'node:stream';
import type { ClaimedJob, JobError, JobProgress } from '../domain/job.js';
import type { StoredArtifact } from './handler.js';

export interface WorkerLease {
  id: string;
  token: string;
}

export interface WorkerBackend {
  claim(request: { queue: string; workerId: string; limit: number }): Promise<ClaimedJob[]>;
  heartbeat(leases: WorkerLease[]): Promise<{ extended: string[]; lost: string[]; cancel: string[] }>;
  progress(lease: WorkerLease, progress: JobProgress): Promise<unknown>;
  complete(lease: WorkerLease, result: unknown): Promise<unknown>;
  /** Optional: complete and lease the next jobs in one call; returns the new leases. `job` is the job as claimed. */
  completeAndClaim?(
    lease: WorkerLease,
    result: unknown,
    next: { queue: string; workerId: string; limit: number },
    job: ClaimedJob,
  ): Promise<ClaimedJob[]>;
  /** `queue` (the job's) picks its queue's backoff policy. */
  fail(lease: WorkerLease, error: JobError, attempt: number, queue?: string): Promise<unknown>;
  release(lease: WorkerLease): Promise<unknown>;
  /** Stores an artifact under the lease, streaming `body`. Absent: the server keeps no artifacts. */
  putArtifact?(
    lease: WorkerLease,
    name: string,
    body: Readable,
    options: { contentType?: string; size?: number },
  ): Promise<StoredArtifact>;
  /**
   * Calls back when work may have arrived on `queue`, with the id of the job whose
   * transition announced it; returns an unsubscribe. Optional.
   */
  onWork?(queue: string, callback: (jobId: string) => void): () => void;
  /** How often leases must be renewed. */
  readonly leaseMs: number;
}
