/**
 * Records deliveries for job events, durably, before anything is sent.
 *
 * Two paths, one result. The event stream records a delivery right after the store
 * call that made the transition (on the server that made it). The sweep closes the
 * crash window between a job's terminal transition and that recording: every
 * `sweepMs` it reads the jobs that finished since its mark (a number in the store,
 * shared by every server) and records their terminal deliveries again. A terminal
 * delivery's id is derived from (subscription, job, event, finish time), and recording
 * an id twice is a no-op, so the two paths never double a message.
 *
 * What holds: once a job's terminal transition is committed, a delivery of it is
 * recorded for every subscription that wanted it — by the stream, or by the first
 * sweep after the server (any server) runs again, as long as the job has not been
 * purged by retention first. Non-terminal events (queued, running, progress, scheduled,
 * awaiting_confirmation) are recorded by the stream only: a crash in the milliseconds
 * between their transition and their recording can lose one.
 */
import type { Job } from '../../domain/job.js';
import {
  queueEventOf,
  terminalEventOf,
  type WebhookEvent,
  webhookEventOf,
} from '../../domain/webhook-events.js';
import type { NewDelivery, WebhookStore } from '../../store/webhook-store.js';
import type { Engine } from '../engine.js';
import type { JobEvent } from '../events.js';
import type { QueueEvent } from '../queue-events.js';
import { LoopService } from '../services/loop-service.js';
import { callbackDelivery, deliveriesFor, type JobView, queueDeliveriesFor } from './delivery-records.js';
import type { SubscriptionCache } from './subscription-cache.js';

const sweepMark = 'webhook-sweep';
const sweepPage = 500;

export interface RecorderOptions {
  engine: Engine;
  webhooks: WebhookStore;
  subscriptions: SubscriptionCache;
  view: JobView;
  callbacks: boolean;
  sweepMs: number;
  sweepSettleMs: number;
  /** Called after deliveries were recorded (the dispatcher wakes). */
  onRecorded: () => void;
  onError: (error: unknown) => void;
}

export class DeliveryRecorder {
  readonly sweeper: LoopService;
  private unsubscribe: (() => void) | null = null;
  private unsubscribeQueues: (() => void) | null = null;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly options: RecorderOptions) {
    this.sweeper = new LoopService({
      name: 'webhook-sweep',
      intervalMs: options.sweepMs,
      batchSize: Number.MAX_SAFE_INTEGER,
      onError: options.onError,
      tick: () => this.sweep(),
    });
  }

  start(): void {
    this.unsubscribe = this.options.engine.events.subscribe((event) => this.onEvent(event));
    this.unsubscribeQueues = this.options.engine.queueEvents.subscribe((event) => this.onQueueEvent(event));
    this.sweeper.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.unsubscribeQueues?.();
    this.unsubscribeQueues = null;
    await this.sweeper.stop();
    await Promise.allSettled([...this.pending]);
  }

  private onEvent({ kind, job, local }: JobEvent): void {
    // Every server sees every event with a shared store; the one that made it records it.
    if (!local) return;
    const event = webhookEventOf(kind);
    if (!event) return;
    const work = this.record(event, job).catch(this.options.onError);
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Queue events come from the server that made the change (queue-events.ts): recorded there. */
  private onQueueEvent({ kind, queue, at }: QueueEvent): void {
    const event = queueEventOf(kind);
    if (!event) return;
    const work = (async () => {
      const deliveries = queueDeliveriesFor(await this.options.subscriptions.get(), event, {
        queue,
        paused: kind === 'paused',
        at,
      });
      if (deliveries.length === 0) return;
      await this.options.webhooks.recordDeliveries(deliveries);
      this.options.onRecorded();
    })().catch(this.options.onError);
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private async deliveries(event: WebhookEvent, job: Job, now: number): Promise<NewDelivery[]> {
    const subs = await this.options.subscriptions.get();
    const out = deliveriesFor(subs, event, job, now, this.options.view);
    if (this.options.callbacks && terminalEventOf(job.status) === event) {
      const url = await this.options.webhooks.callbackFor(job.id);
      if (url) out.push(callbackDelivery(url, event, job, now, this.options.view));
    }
    return out;
  }

  private async record(event: WebhookEvent, job: Job): Promise<void> {
    const deliveries = await this.deliveries(event, job, Date.now());
    if (deliveries.length === 0) return;
    await this.options.webhooks.recordDeliveries(deliveries);
    this.options.onRecorded();
  }

  /** One sweep over (mark, now - settle]; returns how many deliveries it found missing. */
  async sweep(): Promise<number> {
    const { engine, webhooks } = this.options;
    const until = (await engine.store.now()) - this.options.sweepSettleMs;
    const mark = await webhooks.mark(sweepMark);
    // The first sweep of a store starts from now: nothing finished before webhooks existed.
    if (mark === null || until <= mark) {
      if (mark === null) await webhooks.setMark(sweepMark, until);
      return 0;
    }
    const subs = await this.options.subscriptions.get();
    const wanted = subs.some((s) => s.enabled && s.events.some((e) => terminalEventOf(e.slice(4)) !== null));
    let added = 0;
    if (wanted || this.options.callbacks) {
      for (const queue of await engine.store.queues()) {
        let after = { at: mark, id: '' };
        for (;;) {
          const page = await webhooks.finishedJobs({ queue, after, until, limit: sweepPage });
          const batch: NewDelivery[] = [];
          for (const { id } of page) {
            const job = await engine.store.get(id);
            const event = job ? terminalEventOf(job.status) : null;
            if (job && event) batch.push(...(await this.deliveries(event, job, job.finishedAt ?? until)));
          }
          if (batch.length > 0) added += await webhooks.recordDeliveries(batch);
          const last = page.at(-1);
          if (!last || page.length < sweepPage) break;
          after = { at: last.finishedAt, id: last.id };
        }
      }
    }
    await webhooks.setMark(sweepMark, until);
    if (added > 0) this.options.onRecorded();
    return added;
  }
}
