/**
 * Artifact metadata, a noun of the job store beside the jobs: which files a job made,
 * with their size, type and digest, so a listing needs no bucket scan. The bytes live in
 * the blob store (src/artifacts/); a record names them by `blobKey`, a fresh key per
 * upload, so replacing an artifact never overwrites bytes a reader may be streaming.
 *
 * Ordering across the two stores, so that a crash leaves no orphan forever:
 * - upload: bytes first, then `recordArtifact` (a crash in between leaves bytes no
 *   record names: the blob sweep deletes them after a grace period);
 * - delete: a job's records outlive the job (purge and clear delete jobs only); the
 *   sweep finds them with `orphanedArtifacts`, deletes their bytes, then
 *   `forgetArtifacts` (a crash in between is redone by the next sweep).
 */
import { JobgateError } from '../domain/errors.js';

export interface ArtifactRecord {
  jobId: string;
  name: string;
  size: number;
  contentType: string;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  /** The blob store's key for the bytes (see above). */
  blobKey: string;
  createdAt: number;
}

export interface RecordArtifactRequest {
  jobId: string;
  /** The job's current lease token: a stale one fails lease_lost, as every worker write does. */
  token: string;
  name: string;
  size: number;
  contentType: string;
  sha256: string;
  blobKey: string;
  /** The job's artifacts may total this many bytes, the new one included (a replaced one not); null = no limit. */
  maxJobBytes: number | null;
}

export interface RecordArtifactResult {
  artifact: ArtifactRecord;
  /** The record of the same name this one replaced: its bytes are the caller's to delete. */
  replaced: ArtifactRecord | null;
}

export interface ArtifactMetaStore {
  /**
   * Records an uploaded artifact in one atomic step with the lease check and the job's
   * byte total. Fails JOBGATE_ERR_LEASE_LOST (token not current, job not running),
   * JOBGATE_ERR_JOB_NOT_FOUND, or JOBGATE_ERR_ARTIFACT_TOO_LARGE (over maxJobBytes).
   */
  recordArtifact(request: RecordArtifactRequest): Promise<RecordArtifactResult>;
  /** A job's artifacts by name. */
  listArtifacts(jobId: string): Promise<ArtifactRecord[]>;
  getArtifact(request: { jobId: string; name: string }): Promise<ArtifactRecord | null>;
  /** Bytes a job's artifacts take now (an upload's budget before it starts). */
  artifactBytes(jobId: string): Promise<number>;
  /** How many artifacts each job has (absent = none). */
  artifactCounts(jobIds: string[]): Promise<Map<string, number>>;
  /** Records whose job no longer exists (purged or cleared), at most `limit`. */
  orphanedArtifacts(request: { limit: number }): Promise<ArtifactRecord[]>;
  /** Deletes these records, each only while it still names the same blobKey; returns how many went. */
  forgetArtifacts(records: Array<Pick<ArtifactRecord, 'jobId' | 'name' | 'blobKey'>>): Promise<number>;
}

/** An upload that would take its job over the per-job byte limit (every backend answers this). */
export function jobBytesExceeded(request: RecordArtifactRequest, used: number): JobgateError {
  return new JobgateError(
    'JOBGATE_ERR_ARTIFACT_TOO_LARGE',
    `Job ${request.jobId}'s artifacts would take ${used + request.size} bytes, over its limit of ${request.maxJobBytes}`,
    { details: { jobId: request.jobId, limitBytes: request.maxJobBytes, usedBytes: used } },
  );
}
