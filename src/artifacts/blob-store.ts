/**
 * The blob store: where artifact bytes live, beside the job store (which keeps their
 * metadata, store/artifact-meta.ts). One small contract, two backends: a local directory
 * (the default, under the data directory) and any S3-compatible bucket. Bytes are
 * grouped by job (`<jobId>/<key>`); a key is the blob store's own name for one upload
 * (never the artifact's name), so no user text reaches a path or an object key.
 *
 * Everything streams: `put` reads its body once, hashing and counting as it goes, and
 * stops with JOBGATE_ERR_ARTIFACT_TOO_LARGE (leaving nothing behind) past `maxBytes`;
 * `get` answers a stream of the whole blob or of one byte range.
 */
import type { Readable } from 'node:stream';
import { JobgateError } from '../domain/errors.js';

export interface BlobRef {
  jobId: string;
  key: string;
}

export interface BlobPut extends BlobRef {
  body: Readable;
  contentType: string;
  /** The upload fails past this many bytes; null = no limit. */
  maxBytes: number | null;
}

export interface BlobWritten {
  size: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
}

/** Inclusive byte offsets, as in an HTTP Range. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobRead {
  body: Readable;
  /** The whole blob's size. */
  size: number;
}

export interface BlobEntry {
  key: string;
  size: number;
  modifiedAt: number;
}

export interface BlobStore {
  readonly name: 'local' | 's3';
  put(request: BlobPut): Promise<BlobWritten>;
  /** The blob (or `range` of it); JOBGATE_ERR_ARTIFACT_NOT_FOUND when absent. */
  get(request: BlobRef & { range?: ByteRange }): Promise<BlobRead>;
  head(ref: BlobRef): Promise<{ size: number; modifiedAt: number } | null>;
  list(request: { jobId: string }): Promise<BlobEntry[]>;
  /** Job ids that have blobs (the orphan sweep walks them). */
  jobs(): Promise<string[]>;
  delete(ref: BlobRef): Promise<void>;
  /** Deletes every blob of the job; returns how many. */
  deleteJob(request: { jobId: string }): Promise<number>;
  /** A time-limited URL that reads the blob without Jobgate (S3 presigned GET); absent on the local backend. */
  presignedUrl?(
    ref: BlobRef & { expiresSec: number; contentType: string; fileName: string },
  ): Promise<string>;
  close(): Promise<void>;
}

/** Job ids and blob keys as both backends accept them in a path or an object key. */
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function checkSegment(kind: 'jobId' | 'key', value: string): string {
  if (!SAFE_SEGMENT.test(value))
    throw new JobgateError('JOBGATE_ERR_ARTIFACT_NOT_FOUND', `No artifact with this ${kind}`, {
      details: { [kind]: value.slice(0, 130) },
    });
  return value;
}

export function blobNotFound(ref: BlobRef): JobgateError {
  return new JobgateError('JOBGATE_ERR_ARTIFACT_NOT_FOUND', `No stored bytes for ${ref.jobId}/${ref.key}`, {
    details: { jobId: ref.jobId },
  });
}

export function blobStoreUnavailable(cause: unknown): JobgateError {
  return new JobgateError('JOBGATE_ERR_ARTIFACT_STORE_UNAVAILABLE', undefined, { retryAfterSec: 1, cause });
}
