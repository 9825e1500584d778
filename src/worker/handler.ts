import type { Readable } from 'node:stream';
import type { Job } from '../domain/job.js';

/** What a handler may store as an artifact: bytes, text, or a stream (read once, never buffered whole). */
export type ArtifactBody = Buffer | Uint8Array | string | Readable | AsyncIterable<Uint8Array>;

/** An artifact as stored. */
export interface StoredArtifact {
  name: string;
  size: number;
  contentType: string;
  sha256: string;
}

export interface ArtifactUploader {
  /**
   * Stores a file the job made (docs/ARTIFACTS.md), under the job's lease: a lost lease
   * rejects with JOBGATE_ERR_LEASE_LOST; the same name again replaces it.
   */
  put(name: string, body: ArtifactBody, options?: { contentType?: string }): Promise<StoredArtifact>;
}

export interface HandlerContext {
  /** Aborted when the job is cancelled, times out, loses its lease, or the worker shuts down. */
  signal: AbortSignal;
  /** 1-based attempt number. */
  attempt: number;
  /** Reports progress; percent is clamped to [0, 100]. Resolves once stored. */
  progress(percent: number, stage?: string, message?: string): Promise<void>;
  /** The job's artifacts: files that outlive the run (a WAV, a PNG, a report). */
  artifacts: ArtifactUploader;
}

export type JobHandler = (job: Job, ctx: HandlerContext) => Promise<unknown> | unknown;

/** Throw this from a handler to fail the job at once, whatever attempts remain. */
export class UnrecoverableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnrecoverableError';
  }
}

/** Why a handler's signal was aborted; `signal.reason` is one of these. */
export type AbortReason = 'cancelled' | 'timeout' | 'lease_lost' | 'shutdown';
