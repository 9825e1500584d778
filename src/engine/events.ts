/**
 * Every transition is an event. The engine publishes them on this bus after the
 * store call that made them succeeded; SSE/WS streams, metrics, webhooks and the
 * in-process workers (to wake on new work) subscribe here.
 */
import { EventEmitter } from 'node:events';
import type { Job } from '../domain/job.js';

export type JobEventKind =
  | 'created'
  | 'queued'
  | 'scheduled'
  | 'running'
  | 'progress'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'cancel_requested'
  | 'retried'
  | 'requeued'
  | 'awaiting_confirmation'
  | 'confirmed'
  | 'released'
  /** Admitted as `scheduled` for a later day because the owner's daily quota is spent. */
  | 'deferred'
  /** Deleted while waiting, by clearing its queue; the job no longer exists. */
  | 'removed';

export interface JobEvent {
  kind: JobEventKind;
  job: Job;
  at: number;
}

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every SSE client is a listener; the default cap of 10 is a leak warning, not a limit we want.
    this.emitter.setMaxListeners(0);
  }

  publish(kind: JobEventKind, job: Job): void {
    this.emitter.emit('job', { kind, job, at: Date.now() } satisfies JobEvent);
  }

  subscribe(listener: (event: JobEvent) => void): () => void {
    this.emitter.on('job', listener);
    return () => this.emitter.off('job', listener);
  }
}

/** The event a job's current status corresponds to when it arrives in that status. */
export function statusEvent(job: Job): JobEventKind {
  return job.status === 'awaiting_confirmation' ? 'awaiting_confirmation' : job.status;
}
