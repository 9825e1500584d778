import type { Job } from '../domain/job.js';

export interface HandlerContext {
  /** Aborted when the job is cancelled, times out, loses its lease, or the worker shuts down. */
  signal: AbortSignal;
  /** 1-based attempt number. */
  attempt: number;
  /** Reports progress; percent is clamped to [0, 100]. Resolves once stored. */
  progress(percent: number, stage?: string, message?: string): Promise<void>;
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
