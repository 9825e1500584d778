/** The webhook service's settings from the config file's `webhooks` section. */
import type { JobgateConfig } from '../config/config-schema.js';
import { deliveryScheduleDefault } from '../domain/delivery-schedule.js';
import { sendLimitsDefault } from '../engine/webhooks/http-sender.js';
import { type WebhookSettings, webhookSettingsDefault } from '../engine/webhooks/webhook-settings.js';

export function webhookSettingsFrom(config: JobgateConfig): WebhookSettings {
  const w = config.webhooks ?? {};
  const d = webhookSettingsDefault;
  return {
    ...d,
    schedule: {
      delaysMs: w.retryDelaysSec ? w.retryDelaysSec.map((s) => s * 1000) : deliveryScheduleDefault.delaysMs,
      jitter: w.jitter ?? deliveryScheduleDefault.jitter,
    },
    send: {
      ...sendLimitsDefault,
      allowPrivateTargets: w.allowPrivateTargets ?? false,
      connectTimeoutMs: w.connectTimeoutMs ?? sendLimitsDefault.connectTimeoutMs,
      timeoutMs: w.timeoutMs ?? sendLimitsDefault.timeoutMs,
    },
    concurrency: w.concurrency ?? d.concurrency,
    perEndpointConcurrency: w.perEndpointConcurrency ?? d.perEndpointConcurrency,
    disableAfterMs: w.disableAfterHours === undefined ? d.disableAfterMs : w.disableAfterHours * 3_600_000,
    retentionMs: w.retentionHours === undefined ? d.retentionMs : w.retentionHours * 3_600_000,
    callbackSecret: w.callbackSecret ?? null,
    smtp: w.smtp ? { ...w.smtp, secure: w.smtp.secure ?? false } : null,
  };
}
