/**
 * Outbound webhooks as one start/stop service: subscriptions (CRUD for a principal),
 * the recorder (events + sweep → deliveries in the store) and the dispatcher (claims
 * and sends them). A tenant manages and sees only its own subscriptions, which cover
 * only its own jobs; an admin's subscription covers every owner (narrowed by queues).
 */
import { randomBytes } from 'node:crypto';
import { JobgateError } from '../../domain/errors.js';
import { DEFAULT_WEBHOOK_EVENTS, WEBHOOK_EVENTS } from '../../domain/webhook-events.js';
import { decodeDeliveryCursor } from '../../store/webhook-records.js';
import type { DeliveryPage, WebhookDelivery, WebhookSubscription } from '../../store/webhook-store.js';
import type { Engine } from '../engine.js';
import { type Principal, scopeOwner } from '../principal.js';
import { LoopService } from '../services/loop-service.js';
import type { JobView } from './delivery-records.js';
import { DeliveryDispatcher } from './dispatcher.js';
import { EmailSender } from './email-sender.js';
import { DeliveryRecorder } from './recorder.js';
import { newWebhookSecret } from './signing.js';
import { SubscriptionCache } from './subscription-cache.js';
import { refusedUrlReason } from './target-guard.js';
import { validateWebhookSettings, type WebhookSettings, webhookSettingsDefault } from './webhook-settings.js';

export interface SubscriptionInput {
  url?: string | null;
  email?: string | null;
  events?: string[];
  queues?: string[] | null;
  description?: string | null;
  enabled?: boolean;
  /** PATCH only: issue a new secret; the old one keeps signing for `secretOverlapSec` (default a day). */
  rotateSecret?: boolean;
  secretOverlapSec?: number;
}

export const secretOverlapSecDefault = 24 * 3600;
const pruneBatch = 500;

const notFound = (id: string) =>
  new JobgateError('JOBGATE_ERR_WEBHOOK_NOT_FOUND', `No webhook subscription ${id}`, { details: { id } });

export class WebhookService {
  readonly settings: WebhookSettings;
  readonly dispatcher: DeliveryDispatcher;
  readonly recorder: DeliveryRecorder;
  /** Deletes finished deliveries past retention. */
  readonly pruner: LoopService;
  private readonly cache: SubscriptionCache;
  private readonly email: EmailSender | null;

  constructor(
    private readonly engine: Engine,
    options: {
      settings?: Partial<WebhookSettings>;
      view: JobView;
      userAgent: string;
      onError?: (error: unknown) => void;
    },
  ) {
    this.settings = validateWebhookSettings({ ...webhookSettingsDefault, ...options.settings });
    const onError = options.onError ?? (() => {});
    const store = engine.store.webhooks;
    this.cache = new SubscriptionCache(store);
    this.email = this.settings.smtp ? new EmailSender(this.settings.smtp) : null;
    this.dispatcher = new DeliveryDispatcher(
      engine,
      store,
      this.cache,
      this.settings,
      this.email,
      options.userAgent,
      onError,
    );
    this.recorder = new DeliveryRecorder({
      engine,
      webhooks: store,
      subscriptions: this.cache,
      view: options.view,
      callbacks: this.settings.callbackSecret !== null,
      sweepMs: this.settings.sweepMs,
      sweepSettleMs: this.settings.sweepSettleMs,
      onRecorded: () => this.dispatcher.wake(),
      onError,
    });
    this.pruner = new LoopService({
      name: 'webhook-pruner',
      intervalMs: 60_000,
      batchSize: pruneBatch,
      onError,
      tick: () => this.prune(pruneBatch),
    });
  }

  start(): void {
    this.recorder.start();
    this.dispatcher.start();
    this.pruner.start();
  }

  async stop(): Promise<void> {
    await this.pruner.stop();
    await this.recorder.stop();
    await this.dispatcher.stop();
    this.email?.close();
  }

  private get store() {
    return this.engine.store.webhooks;
  }

  private checkTarget(input: SubscriptionInput): void {
    if (input.url) {
      let url: URL;
      try {
        url = new URL(input.url);
      } catch {
        throw new JobgateError('JOBGATE_ERR_VALIDATION', `url is not a URL: ${input.url}`, {
          details: { field: 'url' },
        });
      }
      const reason = refusedUrlReason(url, this.settings.send.allowPrivateTargets);
      if (reason)
        throw new JobgateError(
          'JOBGATE_ERR_WEBHOOK_TARGET_REFUSED',
          `Refused webhook target ${url.host}: ${reason}`,
          {
            details: { url: input.url, reason },
          },
        );
    }
    if (input.email && !this.email)
      throw new JobgateError(
        'JOBGATE_ERR_VALIDATION',
        'Email delivery needs webhooks.smtp in the server config',
        {
          details: { field: 'email' },
        },
      );
    for (const event of input.events ?? [])
      if (!(WEBHOOK_EVENTS as readonly string[]).includes(event))
        throw new JobgateError('JOBGATE_ERR_VALIDATION', `Unknown event ${event}`, {
          details: { field: 'events', allowed: WEBHOOK_EVENTS },
        });
  }

  /** A callbackUrl given on submit: checked as a subscription URL is. */
  checkCallbackUrl(url: string): void {
    if (!this.settings.callbackSecret)
      throw new JobgateError(
        'JOBGATE_ERR_VALIDATION',
        'callbackUrl needs webhooks.callbackSecret in the server config',
        {
          details: { field: 'callbackUrl' },
        },
      );
    this.checkTarget({ url });
  }

  registerCallback(jobId: string, url: string): Promise<void> {
    return this.store.registerCallback({ jobId, url });
  }

  async create(
    input: SubscriptionInput,
    principal: Principal,
  ): Promise<{ subscription: WebhookSubscription; secret: string }> {
    if (!input.url && !input.email)
      throw new JobgateError('JOBGATE_ERR_VALIDATION', 'A subscription needs a url or an email', {
        details: { field: 'url' },
      });
    this.checkTarget(input);
    const now = await this.engine.store.now();
    const secret = newWebhookSecret();
    const subscription: WebhookSubscription = {
      id: `wh_${randomBytes(12).toString('base64url')}`,
      owner: principal.owner,
      allOwners: principal.role === 'admin',
      url: input.url ?? null,
      email: input.email ?? null,
      events: input.events ?? DEFAULT_WEBHOOK_EVENTS,
      queues: input.queues ?? null,
      secrets: [{ secret, expiresAt: null }],
      description: input.description ?? null,
      enabled: input.enabled ?? true,
      disabledReason: input.enabled === false ? 'Created disabled' : null,
      failingSince: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.createSubscription(subscription);
    this.cache.invalidate();
    return { subscription, secret };
  }

  /** Every subscription, as the dispatcher sees them (cached for a second). */
  dispatcherSubscriptions(): Promise<WebhookSubscription[]> {
    return this.cache.get();
  }

  list(principal: Principal): Promise<WebhookSubscription[]> {
    return this.store.listSubscriptions(scopeOwner(principal));
  }

  async get(id: string, principal: Principal): Promise<WebhookSubscription> {
    const sub = await this.store.getSubscription(id, scopeOwner(principal));
    if (!sub) throw notFound(id);
    return sub;
  }

  async update(
    id: string,
    input: SubscriptionInput,
    principal: Principal,
  ): Promise<{ subscription: WebhookSubscription; secret: string | null }> {
    this.checkTarget(input);
    const secret = input.rotateSecret ? newWebhookSecret() : null;
    const now = await this.engine.store.now();
    const updated = await this.store.updateSubscription({
      id,
      owner: scopeOwner(principal),
      patch: {
        url: input.url,
        email: input.email,
        events: input.events,
        queues: input.queues,
        description: input.description,
        enabled: input.enabled,
        ...(secret
          ? {
              rotate: {
                secret,
                previousExpiresAt: now + (input.secretOverlapSec ?? secretOverlapSecDefault) * 1000,
              },
            }
          : {}),
      },
    });
    if (!updated) throw notFound(id);
    if (!updated.url && !updated.email)
      throw new JobgateError('JOBGATE_ERR_VALIDATION', 'A subscription needs a url or an email', {
        details: { field: 'url' },
      });
    this.cache.invalidate();
    return { subscription: updated, secret };
  }

  async remove(id: string, principal: Principal): Promise<void> {
    if (!(await this.store.deleteSubscription({ id, owner: scopeOwner(principal) }))) throw notFound(id);
    this.cache.invalidate();
  }

  async deliveries(
    id: string,
    principal: Principal,
    page: { limit: number; cursor?: string },
  ): Promise<DeliveryPage> {
    await this.get(id, principal);
    if (page.cursor !== undefined && !this.validCursor(page.cursor))
      throw new JobgateError('JOBGATE_ERR_VALIDATION', 'cursor is not one this server issued', {
        details: { field: 'cursor' },
      });
    return this.store.listDeliveries({ subscriptionId: id, ...page });
  }

  private validCursor(cursor: string): boolean {
    // SQLite's cursor is a (time, id) pair, Redis' a sequence number; both are base64url.
    return (
      /^[A-Za-z0-9_-]{1,200}$/.test(cursor) &&
      (decodeDeliveryCursor(cursor) !== null || /^\d+$/.test(Buffer.from(cursor, 'base64url').toString()))
    );
  }

  async redeliver(id: string, deliveryId: string, principal: Principal): Promise<WebhookDelivery> {
    await this.get(id, principal);
    const delivery = await this.store.redeliver({ id: deliveryId, subscriptionId: id });
    if (!delivery)
      throw new JobgateError('JOBGATE_ERR_NOT_FOUND', `No delivery ${deliveryId} of ${id}`, {
        details: { id: deliveryId },
      });
    this.dispatcher.wake();
    return delivery;
  }

  /** Deletes finished deliveries past retention (called by the server's purge loop). */
  prune(limit: number): Promise<number> {
    return this.engine.store
      .now()
      .then((now) => this.store.pruneDeliveries({ before: now - this.settings.retentionMs, limit }));
  }
}
