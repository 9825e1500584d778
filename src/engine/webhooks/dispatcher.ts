/**
 * Sends recorded deliveries. Claims come from the store, which bounds each endpoint's
 * deliveries in flight across every server (perEndpointConcurrency) and serves the
 * endpoint that waited longest first; this server bounds its own sends
 * (concurrency). A slow or failing endpoint holds only its own slots: every other
 * endpoint's deliveries, and the job queue (which shares nothing with this loop but
 * the store), go on. Each attempt's outcome is written back under its lease token;
 * a failed one is scheduled again by the delivery schedule (Retry-After honoured) or,
 * when attempts are spent, left `failed` for a manual redelivery.
 *
 * Signals (for tests and metrics): 'attempt' {outcome, channel, durationMs, delivery},
 * 'disabled' {subscriptionId}.
 */
import { EventEmitter } from 'node:events';
import { nextDeliveryDelay } from '../../domain/delivery-schedule.js';
import {
  CALLBACK_SUBSCRIPTION,
  type ClaimedDelivery,
  type WebhookDelivery,
  type WebhookStore,
} from '../../store/webhook-store.js';
import type { Engine } from '../engine.js';
import type { EmailSender } from './email-sender.js';
import { type SendResult, sendWebhook } from './http-sender.js';
import { signatureHeaders, signingSecrets } from './signing.js';
import type { SubscriptionCache } from './subscription-cache.js';
import type { WebhookSettings } from './webhook-settings.js';

export type AttemptOutcome = 'delivered' | 'retry' | 'failed';

export interface AttemptSignal {
  outcome: AttemptOutcome;
  channel: 'http' | 'email';
  durationMs: number;
  delivery: WebhookDelivery;
}

export class DeliveryDispatcher extends EventEmitter {
  private inFlight = 0;
  private readonly sends = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private again = false;
  private stopped = true;

  constructor(
    private readonly engine: Engine,
    private readonly webhooks: WebhookStore,
    private readonly subscriptions: SubscriptionCache,
    private readonly settings: WebhookSettings,
    private readonly email: EmailSender | null,
    private readonly userAgent: string,
    private readonly onError: (error: unknown) => void,
  ) {
    super();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.wake();
  }

  /** Waits for sends on the wire up to `graceMs`; one cut short is sent again when its lease expires. */
  async stop(graceMs = 2_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.pumping;
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.sends]),
      new Promise((resolve) => {
        grace = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(grace);
  }

  /** Looks for due deliveries now (after a recording, a finished send, or the poll). */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .catch(this.onError)
      .finally(() => {
        this.pumping = null;
        if (this.again) {
          this.again = false;
          this.wake();
        } else this.schedule();
      });
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.wake();
    }, this.settings.pollMs);
  }

  private async pump(): Promise<void> {
    for (;;) {
      const free = this.settings.concurrency - this.inFlight;
      if (free <= 0 || this.stopped) return;
      const claimed = await this.webhooks.claimDeliveries({
        limit: free,
        perEndpoint: this.settings.perEndpointConcurrency,
        // Longer than any attempt can last (twice its total timeout), so a live send never
        // loses its lease; one cut short by a crash is sent again soon after.
        leaseMs: 2 * this.settings.send.timeoutMs,
      });
      for (const delivery of claimed) {
        this.inFlight++;
        const send = this.attempt(delivery)
          .catch(this.onError)
          .finally(() => {
            this.inFlight--;
            this.sends.delete(send);
            this.wake();
          });
        this.sends.add(send);
      }
      if (claimed.length < free) return;
    }
  }

  private async send(delivery: ClaimedDelivery): Promise<SendResult> {
    if (delivery.channel === 'email') {
      if (!this.email)
        return {
          ok: false,
          responseCode: null,
          durationMs: 0,
          response: null,
          error: 'No SMTP server configured',
          retryAfterMs: null,
          refused: false,
        };
      const sent = await this.email.send(delivery.target, delivery.event, delivery.payload);
      return { ...sent, responseCode: null, retryAfterMs: null, refused: false };
    }
    const now = Date.now();
    let secrets: string[];
    if (delivery.subscriptionId === CALLBACK_SUBSCRIPTION) {
      secrets = this.settings.callbackSecret ? [this.settings.callbackSecret] : [];
    } else {
      const sub =
        (await this.subscriptions.get()).find((s) => s.id === delivery.subscriptionId) ??
        (await this.webhooks.getSubscription(delivery.subscriptionId));
      secrets = sub ? signingSecrets(sub.secrets, now) : [];
    }
    if (secrets.length === 0)
      return {
        ok: false,
        responseCode: null,
        durationMs: 0,
        response: null,
        error: 'No signing secret',
        retryAfterMs: null,
        refused: false,
      };
    const headers = {
      ...signatureHeaders(delivery.id, delivery.payload, secrets, new Date(now)),
      'user-agent': this.userAgent,
    };
    return sendWebhook(delivery.target, delivery.payload, headers, this.settings.send);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const at = Date.now();
    const result = await this.send(delivery);
    const delay = result.ok
      ? null
      : nextDeliveryDelay(delivery.attempts, this.settings.schedule, result.retryAfterMs);
    const outcome: AttemptOutcome = result.ok ? 'delivered' : delay === null ? 'failed' : 'retry';
    const now = await this.engine.store.now();
    const hours = Math.round(this.settings.disableAfterMs / 360_000) / 10;
    const finished = await this.webhooks.finishDelivery({
      id: delivery.id,
      token: delivery.leaseToken,
      status: outcome === 'retry' ? 'pending' : outcome,
      nextAttemptAt: delay === null ? null : now + delay,
      attempt: {
        at,
        responseCode: result.responseCode,
        durationMs: result.durationMs,
        error: result.error,
        response: result.response,
      },
      disableAfterMs: this.settings.disableAfterMs,
      disableReason: `Every delivery attempt failed for ${hours} h (last: ${result.error ?? 'error'}); PATCH {"enabled": true} to resume`,
    });
    if (!finished) return;
    this.emit('attempt', {
      outcome,
      channel: delivery.channel,
      durationMs: result.durationMs,
      delivery: finished.delivery,
    } satisfies AttemptSignal);
    if (finished.disabled) {
      this.subscriptions.invalidate();
      this.emit('disabled', { subscriptionId: delivery.subscriptionId });
    }
  }
}
