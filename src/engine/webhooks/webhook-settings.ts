/** Webhook settings with named defaults, validated when the service is built. */
import {
  type DeliverySchedule,
  deliveryScheduleDefault,
  validateDeliverySchedule,
} from '../../domain/delivery-schedule.js';
import type { SmtpSettings } from './email-sender.js';
import { type SendLimits, sendLimitsDefault } from './http-sender.js';

export interface WebhookSettings {
  schedule: DeliverySchedule;
  send: SendLimits;
  /** Deliveries in flight from this server at once. */
  concurrency: number;
  /** Deliveries of one endpoint in flight at once, across every server. */
  perEndpointConcurrency: number;
  /** An endpoint whose every attempt failed for this long is disabled. */
  disableAfterMs: number;
  /** Finished deliveries are kept this long. */
  retentionMs: number;
  /** How often due deliveries are looked for when nothing woke the dispatcher. */
  pollMs: number;
  /** How often the sweep records what the event stream missed (a crash between a job's end and its recording). */
  sweepMs: number;
  /** The sweep reads jobs that finished at least this long ago (commits and clocks settle). */
  sweepSettleMs: number;
  /** Signs per-job callbackUrl deliveries; without it, submits with a callbackUrl are refused. */
  callbackSecret: string | null;
  smtp: SmtpSettings | null;
}

export const webhookSettingsDefault: WebhookSettings = {
  schedule: deliveryScheduleDefault,
  send: sendLimitsDefault,
  concurrency: 64,
  perEndpointConcurrency: 4,
  disableAfterMs: 24 * 3_600_000,
  retentionMs: 7 * 24 * 3_600_000,
  pollMs: 1_000,
  sweepMs: 5_000,
  sweepSettleMs: 2_000,
  callbackSecret: null,
  smtp: null,
};

export function validateWebhookSettings(settings: WebhookSettings): WebhookSettings {
  validateDeliverySchedule(settings.schedule);
  for (const name of ['concurrency', 'perEndpointConcurrency', 'pollMs', 'sweepMs'] as const) {
    if (!(settings[name] >= 1)) throw new Error(`webhooks.${name} must be at least 1`);
  }
  if (!(settings.send.timeoutMs >= settings.send.connectTimeoutMs))
    throw new Error('webhooks.timeoutMs must be >= connectTimeoutMs');
  if (!(settings.disableAfterMs > 0)) throw new Error('webhooks.disableAfterMs must be above zero');
  return settings;
}
