/**
 * Every transition is an event. The engine publishes them on this bus after the
 * store call that made them succeeded; SSE/WS streams, metrics, webhooks and the
 * in-process workers (to wake on new work) subscribe here.
 */
import { randomUUID } from 'node:crypto';
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
  /** Deleted (waiting, by clearing its queue; finished, by DELETE or a bulk delete); the job no longer exists. */
  | 'removed';

export interface JobEvent {
  kind: JobEventKind;
  job: Job;
  at: number;
  /** True on the server whose engine made the transition (count metrics only there). */
  local: boolean;
}

/** Carries events between servers (the Redis store's pub/sub). */
export interface EventTransport {
  publish(event: { kind: string; job: Job; at: number; origin: string }): Promise<void>;
  subscribe(
    listener: (event: { kind: string; job: Job; at: number; origin?: string }) => void,
  ): Promise<() => Promise<void>>;
}

/**
 * Local by default. Once `relay(transport)` is called, every event goes out through the
 * transport and is delivered here when it comes back, so each server, this one included,
 * sees every transition exactly once and in the store's publish order.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private transport: EventTransport | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  readonly origin = randomUUID();

  constructor() {
    // Every SSE client is a listener; the default cap of 10 is a leak warning, not a limit we want.
    this.emitter.setMaxListeners(0);
  }

  async relay(transport: EventTransport): Promise<void> {
    this.unsubscribe = await transport.subscribe((event) => {
      this.emitter.emit('job', {
        kind: event.kind as JobEventKind,
        job: event.job,
        at: event.at,
        local: event.origin === this.origin,
      } satisfies JobEvent);
    });
    this.transport = transport;
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = null;
    this.transport = null;
  }

  publish(kind: JobEventKind, job: Job): void {
    const at = Date.now();
    if (this.transport) {
      // An event that cannot be relayed (the store is away) is dropped: the job's state is in the store.
      this.transport.publish({ kind, job, at, origin: this.origin }).catch(() => {});
      return;
    }
    this.emitter.emit('job', { kind, job, at, local: true } satisfies JobEvent);
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
