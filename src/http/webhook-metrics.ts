/**
 * Webhook metrics on the app's registry, following the dispatcher's signals:
 * deliveries by outcome and channel, attempt latency, subscriptions disabled, and the
 * disabled subscriptions now (read from the store at scrape time).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttemptSignal } from '../engine/webhooks/dispatcher.js';
import type { WebhookService } from '../engine/webhooks/webhook-service.js';

export function registerWebhookMetrics(registry: Registry, webhooks: WebhookService): () => void {
  const registers = [registry];
  const attempts = new Counter({
    name: 'jobgate_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, retry (scheduled again), failed (attempts spent)',
    labelNames: ['outcome', 'channel'],
    registers,
  });
  const latency = new Histogram({
    name: 'jobgate_webhook_delivery_duration_seconds',
    help: 'Time of one delivery attempt, from connect to the response (or the error)',
    labelNames: ['channel'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    registers,
  });
  const disabledTotal = new Counter({
    name: 'jobgate_webhook_endpoints_disabled_total',
    help: 'Subscriptions disabled by the dispatcher after failing for webhooks.disableAfterHours',
    registers,
  });
  new Gauge({
    name: 'jobgate_webhook_endpoints_disabled',
    help: 'Webhook subscriptions disabled now',
    registers,
    async collect() {
      try {
        this.set((await webhooks.dispatcherSubscriptions()).filter((s) => !s.enabled).length);
      } catch {
        // The store is away: the gauge is left out of this scrape rather than failing it.
        this.reset();
      }
    },
  });
  const onAttempt = (signal: AttemptSignal) => {
    attempts.inc({ outcome: signal.outcome, channel: signal.channel });
    latency.observe({ channel: signal.channel }, signal.durationMs / 1000);
  };
  const onDisabled = () => disabledTotal.inc();
  webhooks.dispatcher.on('attempt', onAttempt);
  webhooks.dispatcher.on('disabled', onDisabled);
  return () => {
    webhooks.dispatcher.off('attempt', onAttempt);
    webhooks.dispatcher.off('disabled', onDisabled);
  };
}
