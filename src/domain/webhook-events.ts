/**
 * What a webhook subscription can ask for, and which job transition each event is.
 * `queue.*` events belong to no tenant: only an admin's subscription (all owners) gets them.
 * `job.progress` is opt-in (it can fire many times a second); the terminal events are
 * the ones whose delivery the recorder's sweep guarantees (see engine/webhooks/recorder.ts).
 */
export const WEBHOOK_EVENTS = [
  'job.completed',
  'job.failed',
  'job.cancelled',
  'job.scheduled',
  'job.awaiting_confirmation',
  'job.queued',
  'job.running',
  'job.progress',
  'queue.paused',
  'queue.resumed',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Terminal events: a job reaches them once per run, and every one is delivered at least once. */
export const TERMINAL_WEBHOOK_EVENTS: readonly WebhookEvent[] = [
  'job.completed',
  'job.failed',
  'job.cancelled',
];

/** A subscription without `events` gets these. */
export const DEFAULT_WEBHOOK_EVENTS: WebhookEvent[] = ['job.completed', 'job.failed', 'job.cancelled'];

/** The webhook event of an engine event kind (the bus's names), or null when none maps. */
export function webhookEventOf(kind: string): WebhookEvent | null {
  const event = `job.${kind}`;
  return (WEBHOOK_EVENTS as readonly string[]).includes(event) ? (event as WebhookEvent) : null;
}

/** The terminal webhook event of a job status, or null. */
export function terminalEventOf(status: string): WebhookEvent | null {
  const event = `job.${status}` as WebhookEvent;
  return TERMINAL_WEBHOOK_EVENTS.includes(event) ? event : null;
}

/** A queue's event (paused, resumed), or null. */
export function queueEventOf(kind: string): WebhookEvent | null {
  const event = `queue.${kind}`;
  return (WEBHOOK_EVENTS as readonly string[]).includes(event) ? (event as WebhookEvent) : null;
}
