/**
 * The webhook noun on SQLite (tables of migration 9). Each method is one transaction on
 * the job store's connection; the clock is the job store's, so leases and due times
 * are judged as the jobs' are.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { applyPatch, decodeDeliveryCursor, encodeDeliveryCursor } from '../webhook-records.js';
import type {
  ClaimedDelivery,
  DeliveryAttempt,
  DeliveryClaimRequest,
  DeliveryOutcome,
  DeliveryPage,
  NewDelivery,
  SubscriptionPatch,
  WebhookDelivery,
  WebhookStore,
  WebhookSubscription,
} from '../webhook-store.js';
import { CALLBACK_SUBSCRIPTION, deliveryHistoryMax } from '../webhook-store.js';

interface DeliveryRow {
  id: string;
  subscription_id: string;
  endpoint: string;
  channel: 'http' | 'email';
  target: string;
  event: string;
  job_id: string | null;
  payload: string;
  status: WebhookDelivery['status'];
  attempts: number;
  created_at: number;
  next_attempt_at: number | null;
  lease_until: number | null;
  lease_token: string | null;
  last_attempt_at: number | null;
  response_code: number | null;
  duration_ms: number | null;
  response: string | null;
  error: string | null;
  history: string;
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    subscriptionId: row.subscription_id,
    endpoint: row.endpoint,
    channel: row.channel,
    target: row.target,
    event: row.event,
    jobId: row.job_id,
    payload: row.payload,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.created_at,
    nextAttemptAt: row.next_attempt_at,
    lastAttemptAt: row.last_attempt_at,
    responseCode: row.response_code,
    durationMs: row.duration_ms,
    response: row.response,
    error: row.error,
    history: JSON.parse(row.history) as DeliveryAttempt[],
  };
}

export class SqliteWebhookStore implements WebhookStore {
  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number,
  ) {}

  private tx<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.db.transaction(fn).immediate());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private read<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private subscription(id: string, owner?: string): WebhookSubscription | null {
    const row = this.db
      .prepare<[string], { owner: string; record: string }>(
        'SELECT owner, record FROM webhook_subscriptions WHERE id = ?',
      )
      .get(id);
    if (!row || (owner !== undefined && row.owner !== owner)) return null;
    return JSON.parse(row.record) as WebhookSubscription;
  }

  private saveSubscription(s: WebhookSubscription): void {
    this.db
      .prepare(
        `INSERT INTO webhook_subscriptions (id, owner, enabled, created_at, record) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, record = excluded.record`,
      )
      .run(s.id, s.owner, s.enabled ? 1 : 0, s.createdAt, JSON.stringify(s));
  }

  createSubscription(subscription: WebhookSubscription): Promise<void> {
    return this.tx(() => this.saveSubscription(subscription));
  }

  getSubscription(id: string, owner?: string): Promise<WebhookSubscription | null> {
    return this.read(() => this.subscription(id, owner));
  }

  listSubscriptions(owner?: string): Promise<WebhookSubscription[]> {
    return this.read(() => {
      const rows =
        owner === undefined
          ? this.db
              .prepare<[], { record: string }>(
                'SELECT record FROM webhook_subscriptions ORDER BY created_at, id',
              )
              .all()
          : this.db
              .prepare<[string], { record: string }>(
                'SELECT record FROM webhook_subscriptions WHERE owner = ? ORDER BY created_at, id',
              )
              .all(owner);
      return rows.map((row) => JSON.parse(row.record) as WebhookSubscription);
    });
  }

  updateSubscription(request: {
    id: string;
    owner?: string;
    patch: SubscriptionPatch;
  }): Promise<WebhookSubscription | null> {
    return this.tx(() => {
      const current = this.subscription(request.id, request.owner);
      if (!current) return null;
      const next = applyPatch(current, request.patch, this.clock());
      this.saveSubscription(next);
      return next;
    });
  }

  deleteSubscription(request: { id: string; owner?: string }): Promise<boolean> {
    return this.tx(() => {
      if (!this.subscription(request.id, request.owner)) return false;
      this.db.prepare('DELETE FROM webhook_subscriptions WHERE id = ?').run(request.id);
      this.db.prepare('DELETE FROM webhook_deliveries WHERE subscription_id = ?').run(request.id);
      return true;
    });
  }

  recordDeliveries(deliveries: NewDelivery[]): Promise<number> {
    return this.tx(() => {
      const now = this.clock();
      const insert = this.db.prepare(
        `INSERT INTO webhook_deliveries
           (id, subscription_id, endpoint, channel, target, event, job_id, payload, status, created_at, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (id) DO NOTHING`,
      );
      let added = 0;
      for (const d of deliveries) {
        added += insert.run(
          d.id,
          d.subscriptionId,
          d.endpoint,
          d.channel,
          d.target,
          d.event,
          d.jobId,
          d.payload,
          now,
          now,
        ).changes;
      }
      return added;
    });
  }

  claimDeliveries(request: DeliveryClaimRequest): Promise<ClaimedDelivery[]> {
    return this.tx(() => {
      const now = this.clock();
      // Endpoints with something due (a pending delivery, or a lease that expired), longest waiting first.
      const endpoints = this.db
        .prepare<[number, number], { endpoint: string; subscription_id: string; due: number }>(
          `SELECT endpoint, MIN(subscription_id) AS subscription_id, MIN(at) AS due FROM (
             SELECT endpoint, subscription_id, next_attempt_at AS at FROM webhook_deliveries
               WHERE status = 'pending' AND next_attempt_at <= ?
             UNION ALL
             SELECT endpoint, subscription_id, lease_until AS at FROM webhook_deliveries
               WHERE status = 'sending' AND lease_until <= ?)
           GROUP BY endpoint ORDER BY due`,
        )
        .all(now, now);
      const out: ClaimedDelivery[] = [];
      for (const { endpoint, subscription_id: subscriptionId } of endpoints) {
        const left = request.limit - out.length;
        if (left <= 0) break;
        if (subscriptionId !== CALLBACK_SUBSCRIPTION) {
          const sub = this.db
            .prepare<[string], { enabled: number }>('SELECT enabled FROM webhook_subscriptions WHERE id = ?')
            .get(subscriptionId);
          if (sub?.enabled !== 1) continue;
        }
        const flying = this.db
          .prepare<[string, number], { n: number }>(
            `SELECT COUNT(*) AS n FROM webhook_deliveries
             WHERE endpoint = ? AND status = 'sending' AND lease_until > ?`,
          )
          .get(endpoint, now)!.n;
        const take = Math.min(left, request.perEndpoint - flying);
        if (take <= 0) continue;
        const rows = this.db
          .prepare<[string, number, string, number, number], DeliveryRow>(
            `SELECT * FROM webhook_deliveries
             WHERE (endpoint = ? AND status = 'pending' AND next_attempt_at <= ?)
                OR (endpoint = ? AND status = 'sending' AND lease_until <= ?)
             ORDER BY COALESCE(next_attempt_at, lease_until), id LIMIT ?`,
          )
          .all(endpoint, now, endpoint, now, take);
        for (const row of rows) {
          const token = randomUUID();
          this.db
            .prepare(
              `UPDATE webhook_deliveries SET status = 'sending', attempts = attempts + 1,
                 lease_token = ?, lease_until = ? WHERE id = ?`,
            )
            .run(token, now + request.leaseMs, row.id);
          const claimed = toDelivery({ ...row, status: 'sending', attempts: row.attempts + 1 });
          out.push({ ...claimed, leaseToken: token });
        }
      }
      return out;
    });
  }

  finishDelivery(outcome: DeliveryOutcome): Promise<{ delivery: WebhookDelivery; disabled: boolean } | null> {
    return this.tx(() => {
      const row = this.db
        .prepare<[string], DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = ?')
        .get(outcome.id);
      if (row?.status !== 'sending' || row.lease_token !== outcome.token) return null;
      const { response, ...attempt } = outcome.attempt;
      const history = [...(JSON.parse(row.history) as DeliveryAttempt[]), attempt].slice(-deliveryHistoryMax);
      this.db
        .prepare(
          `UPDATE webhook_deliveries SET status = ?, next_attempt_at = ?, lease_token = NULL, lease_until = NULL,
             last_attempt_at = ?, response_code = ?, duration_ms = ?, response = ?, error = ?, history = ?
           WHERE id = ?`,
        )
        .run(
          outcome.status,
          outcome.status === 'pending' ? outcome.nextAttemptAt : null,
          attempt.at,
          attempt.responseCode,
          attempt.durationMs,
          response,
          attempt.error,
          JSON.stringify(history),
          outcome.id,
        );
      let disabled = false;
      const sub = this.subscription(row.subscription_id);
      if (sub) {
        const now = this.clock();
        const ok = outcome.status === 'delivered';
        const failingSince = ok ? null : (sub.failingSince ?? now);
        disabled = sub.enabled && failingSince !== null && now - failingSince >= outcome.disableAfterMs;
        if (failingSince !== sub.failingSince || disabled) {
          this.saveSubscription({
            ...sub,
            failingSince,
            ...(disabled ? { enabled: false, disabledReason: outcome.disableReason } : {}),
          });
        }
      }
      const updated = this.db
        .prepare<[string], DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = ?')
        .get(outcome.id)!;
      return { delivery: toDelivery(updated), disabled };
    });
  }

  getDelivery(id: string): Promise<WebhookDelivery | null> {
    return this.read(() => {
      const row = this.db
        .prepare<[string], DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = ?')
        .get(id);
      return row ? toDelivery(row) : null;
    });
  }

  listDeliveries(request: { subscriptionId: string; limit: number; cursor?: string }): Promise<DeliveryPage> {
    return this.read(() => {
      const after = request.cursor ? decodeDeliveryCursor(request.cursor) : null;
      const rows = after
        ? this.db
            .prepare<[string, number, number, string, number], DeliveryRow>(
              `SELECT * FROM webhook_deliveries WHERE subscription_id = ?
                 AND (created_at < ? OR (created_at = ? AND id < ?))
               ORDER BY created_at DESC, id DESC LIMIT ?`,
            )
            .all(request.subscriptionId, after.at, after.at, after.id, request.limit + 1)
        : this.db
            .prepare<[string, number], DeliveryRow>(
              `SELECT * FROM webhook_deliveries WHERE subscription_id = ?
               ORDER BY created_at DESC, id DESC LIMIT ?`,
            )
            .all(request.subscriptionId, request.limit + 1);
      const items = rows.slice(0, request.limit).map(toDelivery);
      const last = items.at(-1);
      return {
        items,
        nextCursor:
          rows.length > request.limit && last ? encodeDeliveryCursor(last.createdAt, last.id) : null,
      };
    });
  }

  redeliver(request: { id: string; subscriptionId: string }): Promise<WebhookDelivery | null> {
    return this.tx(() => {
      const row = this.db
        .prepare<[string, string], DeliveryRow>(
          'SELECT * FROM webhook_deliveries WHERE id = ? AND subscription_id = ?',
        )
        .get(request.id, request.subscriptionId);
      if (!row) return null;
      // A delivery on the wire keeps its lease; it is sent again when that attempt ends.
      if (row.status !== 'sending') {
        this.db
          .prepare(
            `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE id = ?`,
          )
          .run(this.clock(), row.id);
      }
      return toDelivery(
        this.db.prepare<[string], DeliveryRow>('SELECT * FROM webhook_deliveries WHERE id = ?').get(row.id)!,
      );
    });
  }

  pruneDeliveries(request: { before: number; limit: number }): Promise<number> {
    return this.tx(() => {
      this.db
        .prepare(
          'DELETE FROM webhook_callbacks WHERE job_id IN (SELECT job_id FROM webhook_callbacks WHERE created_at < ? LIMIT ?)',
        )
        .run(request.before, request.limit);
      return this.db
        .prepare(
          `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
             WHERE status IN ('delivered', 'failed') AND created_at < ? LIMIT ?)`,
        )
        .run(request.before, request.limit).changes;
    });
  }

  registerCallback(request: { jobId: string; url: string }): Promise<void> {
    return this.tx(() => {
      this.db
        .prepare(
          `INSERT INTO webhook_callbacks (job_id, url, created_at) VALUES (?, ?, ?)
           ON CONFLICT (job_id) DO UPDATE SET url = excluded.url`,
        )
        .run(request.jobId, request.url, this.clock());
    });
  }

  callbackFor(jobId: string): Promise<string | null> {
    return this.read(
      () =>
        this.db
          .prepare<[string], { url: string }>('SELECT url FROM webhook_callbacks WHERE job_id = ?')
          .get(jobId)?.url ?? null,
    );
  }

  finishedJobs(request: {
    queue: string;
    after: { at: number; id: string } | null;
    until: number;
    limit: number;
  }): Promise<Array<{ id: string; finishedAt: number }>> {
    const after = request.after ?? { at: -1, id: '' };
    return this.read(() =>
      this.db
        .prepare<[string, number, number, string, number, number], { id: string; finished_at: number }>(
          `SELECT id, finished_at FROM jobs
           WHERE queue = ? AND finished_at IS NOT NULL AND status IN ('completed', 'failed', 'cancelled')
             AND (finished_at > ? OR (finished_at = ? AND id > ?)) AND finished_at <= ?
           ORDER BY finished_at, id LIMIT ?`,
        )
        .all(request.queue, after.at, after.at, after.id, request.until, request.limit)
        .map((row) => ({ id: row.id, finishedAt: row.finished_at })),
    );
  }

  mark(name: string): Promise<number | null> {
    return this.read(
      () =>
        this.db
          .prepare<[string], { value: number }>('SELECT value FROM webhook_marks WHERE name = ?')
          .get(name)?.value ?? null,
    );
  }

  setMark(name: string, value: number): Promise<void> {
    return this.tx(() => {
      this.db
        .prepare(
          `INSERT INTO webhook_marks (name, value) VALUES (?, ?)
           ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)`,
        )
        .run(name, value);
    });
  }
}
