/**
 * What a delivery holds: which subscriptions an event goes to, the message id (the same
 * whichever path records it: the event stream or the sweep), and the body — the
 * Standard Webhooks envelope `{type, timestamp, data}` around the API's job view.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Job } from '../../domain/job.js';
import { TERMINAL_WEBHOOK_EVENTS, type WebhookEvent } from '../../domain/webhook-events.js';
import {
  CALLBACK_SUBSCRIPTION,
  type NewDelivery,
  type WebhookSubscription,
} from '../../store/webhook-store.js';

/** The job as the API shows it (http/ injects its view; engine/ does not import http/). */
export type JobView = (job: Job) => Record<string, unknown>;

export function subscriptionWants(
  sub: WebhookSubscription,
  event: WebhookEvent,
  job: Job,
  at: number,
): boolean {
  if (!sub.enabled || sub.createdAt > at) return false;
  if (!sub.events.includes(event)) return false;
  if (!sub.allOwners && sub.owner !== job.owner) return false;
  return sub.queues === null || sub.queues.includes(job.queue);
}

/**
 * A terminal event's message id is derived from the subscription, the job and the run's
 * finish time, so the event stream and the sweep record one delivery, not two; any
 * other event is recorded once, from the stream, under a fresh id.
 */
export function messageId(subscriptionId: string, event: WebhookEvent, job: Job): string {
  if (!TERMINAL_WEBHOOK_EVENTS.includes(event) || job.finishedAt === null) return `msg_${randomUUID()}`;
  const digest = createHash('sha256')
    .update(`${subscriptionId}\n${job.id}\n${event}\n${job.finishedAt}`)
    .digest('base64url');
  return `msg_${digest.slice(0, 27)}`;
}

export function envelope(
  event: WebhookEvent,
  job: Job,
  at: number,
  view: JobView,
  withStacks: boolean,
): string {
  const data = view(job);
  if (!withStacks && job.error?.stack !== undefined) {
    const { stack: _stack, ...error } = job.error;
    data.error = error;
  }
  return JSON.stringify({ type: event, timestamp: new Date(at).toISOString(), data });
}

/** The time an event is stamped with: a terminal one its finish time (the same on both paths). */
export function eventTime(event: WebhookEvent, job: Job, now: number): number {
  return TERMINAL_WEBHOOK_EVENTS.includes(event) && job.finishedAt !== null ? job.finishedAt : now;
}

export function deliveriesFor(
  subs: WebhookSubscription[],
  event: WebhookEvent,
  job: Job,
  now: number,
  view: JobView,
): NewDelivery[] {
  const at = eventTime(event, job, now);
  const out: NewDelivery[] = [];
  for (const sub of subs) {
    if (!subscriptionWants(sub, event, job, at)) continue;
    // An admin's subscription sees stacks, as admins do through the API; a tenant's does not.
    const payload = envelope(event, job, at, view, sub.allOwners);
    const id = messageId(sub.id, event, job);
    if (sub.url)
      out.push({
        id,
        subscriptionId: sub.id,
        endpoint: sub.id,
        channel: 'http',
        target: sub.url,
        event,
        jobId: job.id,
        payload,
      });
    if (sub.email)
      out.push({
        id: `${id}_email`,
        subscriptionId: sub.id,
        endpoint: `${sub.id}:email`,
        channel: 'email',
        target: sub.email,
        event,
        jobId: job.id,
        payload,
      });
  }
  return out;
}

/** A job's own callbackUrl: its terminal events, signed with the server's callback secret. */
export function callbackDelivery(
  url: string,
  event: WebhookEvent,
  job: Job,
  now: number,
  view: JobView,
): NewDelivery {
  const at = eventTime(event, job, now);
  return {
    id: messageId(CALLBACK_SUBSCRIPTION, event, job),
    subscriptionId: CALLBACK_SUBSCRIPTION,
    endpoint: `callback:${new URL(url).host}`,
    channel: 'http',
    target: url,
    event,
    jobId: job.id,
    payload: envelope(event, job, at, view, false),
  };
}

/**
 * A queue event's deliveries: to the admin subscriptions (all owners) that want it and
 * whose queue filter takes the queue; the body's data is `{queue, paused}`.
 */
export function queueDeliveriesFor(
  subs: WebhookSubscription[],
  event: WebhookEvent,
  change: { queue: string; paused: boolean; at: number },
): NewDelivery[] {
  const payload = JSON.stringify({
    type: event,
    timestamp: new Date(change.at).toISOString(),
    data: { queue: change.queue, paused: change.paused },
  });
  const out: NewDelivery[] = [];
  for (const sub of subs) {
    if (!sub.enabled || sub.createdAt > change.at || !sub.allOwners || !sub.events.includes(event)) continue;
    if (sub.queues !== null && !sub.queues.includes(change.queue)) continue;
    const id = `msg_${randomUUID()}`;
    const common = { subscriptionId: sub.id, event, jobId: null, payload };
    if (sub.url) out.push({ ...common, id, endpoint: sub.id, channel: 'http', target: sub.url });
    if (sub.email)
      out.push({
        ...common,
        id: `${id}_email`,
        endpoint: `${sub.id}:email`,
        channel: 'email',
        target: sub.email,
      });
  }
  return out;
}
