/**
 * The webhook noun of the store contract: subscriptions, the deliveries recorded for
 * them, and the marks the recorder's sweep keeps. Each method is one atomic step (one
 * SQLite transaction, one Redis function in the `{wh}` slot), like the job contract.
 *
 * A delivery's life: `pending` (due at nextAttemptAt) → `sending` (leased to one
 * dispatcher until leaseUntil; a lease that expires — the server died mid-send — makes
 * it due again) → `delivered` | `pending` again (a retry) | `failed` (attempts spent).
 * A redelivery puts a finished one back to `pending`. Deliveries are recorded before
 * they are attempted, so a crash never loses one; it may send one twice (at-least-once).
 */

export interface WebhookSecret {
  /** `whsec_` + base64 of the key bytes, as the Standard Webhooks libraries take it. */
  secret: string;
  /** null for the current secret; a rotated-out one signs too until this time. */
  expiresAt: number | null;
}

export interface WebhookSubscription {
  id: string;
  /** The creator's owner. A tenant's subscription covers that owner's jobs only. */
  owner: string;
  /** An admin's subscription: every owner's jobs (narrowed by `queues`). */
  allOwners: boolean;
  url: string | null;
  email: string | null;
  events: string[];
  /** null = every queue. */
  queues: string[] | null;
  secrets: WebhookSecret[];
  description: string | null;
  enabled: boolean;
  /** Why the subscription was disabled (by the dispatcher or a PATCH); null when enabled. */
  disabledReason: string | null;
  /** Since when every attempt to this endpoint failed; null after a success. */
  failingSince: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface SubscriptionPatch {
  url?: string | null;
  email?: string | null;
  events?: string[];
  queues?: string[] | null;
  description?: string | null;
  /** true re-enables (clearing the reason and the failing streak); false disables with `disabledReason`. */
  enabled?: boolean;
  disabledReason?: string | null;
  /** A new current secret; the current one stays valid until `previousExpiresAt`. */
  rotate?: { secret: string; previousExpiresAt: number };
}

export type DeliveryStatus = 'pending' | 'sending' | 'delivered' | 'failed';
export type DeliveryChannel = 'http' | 'email';

export interface DeliveryAttempt {
  at: number;
  responseCode: number | null;
  durationMs: number;
  error: string | null;
}

export interface NewDelivery {
  /** The message id (`webhook-id`): the same on every attempt. Recording an id twice is a no-op. */
  id: string;
  /** The subscription's id, or `callback` for a job's own callbackUrl. */
  subscriptionId: string;
  /** Fair-dispatch key: deliveries of one endpoint share its concurrency bound. */
  endpoint: string;
  channel: DeliveryChannel;
  /** The URL, or the email address. */
  target: string;
  event: string;
  jobId: string | null;
  /** The JSON body, frozen when recorded. */
  payload: string;
}

export interface WebhookDelivery extends NewDelivery {
  status: DeliveryStatus;
  attempts: number;
  createdAt: number;
  /** When a pending delivery is due; null once finished. */
  nextAttemptAt: number | null;
  lastAttemptAt: number | null;
  responseCode: number | null;
  durationMs: number | null;
  /** The first KB of the last response body. */
  response: string | null;
  error: string | null;
  /** The last attempts, oldest first (at most deliveryHistoryMax). */
  history: DeliveryAttempt[];
}

export const deliveryHistoryMax = 10;
export const CALLBACK_SUBSCRIPTION = 'callback';

export interface ClaimedDelivery extends WebhookDelivery {
  leaseToken: string;
}

export interface DeliveryClaimRequest {
  limit: number;
  /** Deliveries of one endpoint in flight at once, across every server. */
  perEndpoint: number;
  leaseMs: number;
}

export interface DeliveryOutcome {
  id: string;
  token: string;
  /** `pending` = try again at nextAttemptAt. */
  status: 'delivered' | 'pending' | 'failed';
  nextAttemptAt: number | null;
  attempt: DeliveryAttempt & { response: string | null };
  /** An endpoint whose attempts have all failed for this long is disabled. */
  disableAfterMs: number;
  /** The reason a subscription disabled by this outcome shows. */
  disableReason: string;
}

export interface DeliveryPage {
  items: WebhookDelivery[];
  nextCursor: string | null;
}

export interface WebhookStore {
  createSubscription(subscription: WebhookSubscription): Promise<void>;
  /** `owner` scopes the read: another owner's subscription is null. */
  getSubscription(id: string, owner?: string): Promise<WebhookSubscription | null>;
  listSubscriptions(owner?: string): Promise<WebhookSubscription[]>;
  /** Merged in the store's step; null when there is no such subscription (for `owner`). */
  updateSubscription(request: {
    id: string;
    owner?: string;
    patch: SubscriptionPatch;
  }): Promise<WebhookSubscription | null>;
  /** Deletes the subscription and its deliveries. */
  deleteSubscription(request: { id: string; owner?: string }): Promise<boolean>;

  /** Records each delivery as pending and due now, unless its id was recorded before; returns how many were new. */
  recordDeliveries(deliveries: NewDelivery[]): Promise<number>;
  /**
   * Leases due deliveries, at most `perEndpoint` in flight per endpoint, endpoints that
   * waited longest first; skips endpoints whose subscription is disabled or gone.
   */
  claimDeliveries(request: DeliveryClaimRequest): Promise<ClaimedDelivery[]>;
  /**
   * Records an attempt's outcome if the lease is still held (else null: another
   * dispatcher owns the delivery now), and keeps the subscription's failing streak:
   * a success clears it, a failure starts it, a streak of `disableAfterMs` disables it.
   */
  finishDelivery(outcome: DeliveryOutcome): Promise<{ delivery: WebhookDelivery; disabled: boolean } | null>;
  getDelivery(id: string): Promise<WebhookDelivery | null>;
  /** A subscription's deliveries, newest first. */
  listDeliveries(request: { subscriptionId: string; limit: number; cursor?: string }): Promise<DeliveryPage>;
  /** A delivery of `subscriptionId` back to pending, due now, with a fresh attempt budget; null when none. */
  redeliver(request: { id: string; subscriptionId: string }): Promise<WebhookDelivery | null>;
  /** Deletes finished deliveries and callback registrations older than `before`; returns how many deliveries. */
  pruneDeliveries(request: { before: number; limit: number }): Promise<number>;

  /** A job's own callback URL (per-job `callbackUrl`). */
  registerCallback(request: { jobId: string; url: string }): Promise<void>;
  callbackFor(jobId: string): Promise<string | null>;

  /**
   * Ids of a queue's finished jobs (completed, failed, cancelled) with after < (finishedAt, id) and
   * finishedAt <= until, oldest first: what the recorder's sweep reads.
   */
  finishedJobs(request: {
    queue: string;
    after: { at: number; id: string } | null;
    until: number;
    limit: number;
  }): Promise<Array<{ id: string; finishedAt: number }>>;
  /** A named number kept in the store (the sweep's watermark); setMark never moves it back. */
  mark(name: string): Promise<number | null>;
  setMark(name: string, value: number): Promise<void>;
}
