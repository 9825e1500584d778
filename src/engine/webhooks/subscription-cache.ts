/**
 * Subscriptions as the recorder reads them on every event: the store's list, kept for
 * `ttlMs`. A change made on this server is seen at once (invalidate); one made on
 * another server sharing the store within ttlMs.
 */
import type { WebhookStore, WebhookSubscription } from '../../store/webhook-store.js';

export class SubscriptionCache {
  private cached: { at: number; subs: WebhookSubscription[] } | null = null;
  private loading: Promise<WebhookSubscription[]> | null = null;

  constructor(
    private readonly store: WebhookStore,
    private readonly ttlMs = 1_000,
  ) {}

  get(): Promise<WebhookSubscription[]> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return Promise.resolve(this.cached.subs);
    this.loading ??= this.store
      .listSubscriptions()
      .then((subs) => {
        this.cached = { at: Date.now(), subs };
        return subs;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  invalidate(): void {
    this.cached = null;
  }
}
