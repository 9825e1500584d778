/**
 * The webhook noun on Redis: every key in one slot, `<prefix>:{wh}` (see redis-keys.ts),
 * so each change is one function of the library (lua/webhook_*.lua) on a single Redis
 * and on Redis Cluster alike. Reads are plain commands. The sweep's read of finished
 * jobs goes to each queue's shard (its `fin` index), outside the webhook slot.
 */
import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { applyPatch } from '../webhook-records.js';
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
import { deliveryHistoryMax } from '../webhook-store.js';
import type { ScriptName } from './generated/scripts.js';
import type { RedisKeys } from './redis-keys.js';

type Run = (name: ScriptName, base: string, ...args: Array<string | number>) => Promise<unknown>;

function num(value: string | undefined): number | null {
  return value === undefined ? null : Number(value);
}

function toDelivery(flat: string[]): WebhookDelivery {
  const h: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
  const history = h.history ? (JSON.parse(h.history) as unknown) : [];
  return {
    id: h.id ?? '',
    subscriptionId: h.subscription_id!,
    endpoint: h.endpoint!,
    channel: h.channel as WebhookDelivery['channel'],
    target: h.target!,
    event: h.event!,
    jobId: h.job_id ?? null,
    payload: h.payload!,
    status: h.status as WebhookDelivery['status'],
    attempts: Number(h.attempts ?? 0),
    createdAt: Number(h.created_at),
    nextAttemptAt: num(h.next_attempt_at),
    lastAttemptAt: num(h.last_attempt_at),
    responseCode: num(h.response_code),
    durationMs: num(h.duration_ms),
    response: h.response ?? null,
    error: h.error ?? null,
    // cjson writes an empty Lua table as {}.
    history: Array.isArray(history) ? (history as DeliveryAttempt[]) : [],
  };
}

export class RedisWebhookStore implements WebhookStore {
  private readonly base: string;

  constructor(
    private readonly redis: Redis | Cluster,
    private readonly keys: RedisKeys,
    private readonly run: Run,
    private readonly now: () => Promise<number>,
  ) {
    this.base = keys.webhooks;
  }

  private async deliveryById(id: string): Promise<WebhookDelivery | null> {
    const flat = await this.redis.hgetall(`${this.base}:d:${id}`);
    if (!flat.status) return null;
    return toDelivery(['id', id, ...Object.entries(flat).flat()]);
  }

  private withId(flat: string[], id: string): WebhookDelivery {
    return toDelivery(['id', id, ...flat]);
  }

  async createSubscription(subscription: WebhookSubscription): Promise<void> {
    await this.run('webhookSubscription', this.base, 'put', subscription.id, JSON.stringify(subscription));
  }

  private async readSubscription(id: string): Promise<{ raw: string; record: WebhookSubscription } | null> {
    const raw = await this.redis.hget(`${this.base}:subs`, id);
    return raw === null ? null : { raw, record: JSON.parse(raw) as WebhookSubscription };
  }

  async getSubscription(id: string, owner?: string): Promise<WebhookSubscription | null> {
    const found = await this.readSubscription(id);
    if (!found || (owner !== undefined && found.record.owner !== owner)) return null;
    return found.record;
  }

  async listSubscriptions(owner?: string): Promise<WebhookSubscription[]> {
    const all = Object.values(await this.redis.hgetall(`${this.base}:subs`)).map(
      (raw) => JSON.parse(raw) as WebhookSubscription,
    );
    return all
      .filter((s) => owner === undefined || s.owner === owner)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }

  async updateSubscription(request: {
    id: string;
    owner?: string;
    patch: SubscriptionPatch;
  }): Promise<WebhookSubscription | null> {
    // Compare-and-set: the patch is merged by the shared rule (applyPatch) and written
    // only if the record did not change since it was read (a dispatcher may have just
    // disabled it); on a change the merge is made again.
    for (;;) {
      const found = await this.readSubscription(request.id);
      if (!found || (request.owner !== undefined && found.record.owner !== request.owner)) return null;
      const next = applyPatch(found.record, request.patch, await this.now());
      const written = await this.run(
        'webhookSubscription',
        this.base,
        'cas',
        request.id,
        found.raw,
        JSON.stringify(next),
      );
      if (written === 1) return next;
    }
  }

  async deleteSubscription(request: { id: string; owner?: string }): Promise<boolean> {
    if (!(await this.getSubscription(request.id, request.owner))) return false;
    return (await this.run('webhookSubscription', this.base, 'delete', request.id)) === 1;
  }

  async recordDeliveries(deliveries: NewDelivery[]): Promise<number> {
    if (deliveries.length === 0) return 0;
    let added = 0;
    // A few hundred per call: a call holds Redis for well under a millisecond.
    for (let i = 0; i < deliveries.length; i += 200) {
      const args = deliveries
        .slice(i, i + 200)
        .flatMap((d) => [
          d.id,
          d.subscriptionId,
          d.endpoint,
          d.channel,
          d.target,
          d.event,
          d.jobId ?? '',
          d.payload,
        ]);
      added += Number(await this.run('webhookRecord', this.base, ...args));
    }
    return added;
  }

  async claimDeliveries(request: DeliveryClaimRequest): Promise<ClaimedDelivery[]> {
    const reply = (await this.run(
      'webhookClaim',
      this.base,
      request.limit,
      request.perEndpoint,
      request.leaseMs,
      randomUUID(),
    )) as string[][];
    return reply.map((flat) => {
      const id = keyIdOf(flat);
      const delivery = this.withId(flat, id) as ClaimedDelivery;
      delivery.leaseToken = fieldOf(flat, 'lease_token') ?? '';
      return delivery;
    });
  }

  async finishDelivery(
    outcome: DeliveryOutcome,
  ): Promise<{ delivery: WebhookDelivery; disabled: boolean } | null> {
    const { response, ...attempt } = outcome.attempt;
    const reply = (await this.run(
      'webhookFinish',
      this.base,
      outcome.id,
      outcome.token,
      outcome.status,
      outcome.status === 'pending' && outcome.nextAttemptAt !== null ? String(outcome.nextAttemptAt) : '',
      JSON.stringify(attempt),
      response === null ? '0' : '1',
      response ?? '',
      outcome.disableAfterMs,
      outcome.disableReason,
      deliveryHistoryMax,
    )) as [string[], number] | null;
    if (!reply) return null;
    return { delivery: this.withId(reply[0], outcome.id), disabled: reply[1] === 1 };
  }

  getDelivery(id: string): Promise<WebhookDelivery | null> {
    return this.deliveryById(id);
  }

  async listDeliveries(request: {
    subscriptionId: string;
    limit: number;
    cursor?: string;
  }): Promise<DeliveryPage> {
    const seq = request.cursor ? decodeSeq(request.cursor) : null;
    const max = seq === null ? '+inf' : `(${seq}`;
    const entries = await this.redis.zrevrangebyscore(
      `${this.base}:log:${request.subscriptionId}`,
      max,
      '-inf',
      'WITHSCORES',
      'LIMIT',
      0,
      request.limit + 1,
    );
    const ids: Array<{ id: string; seq: string }> = [];
    for (let i = 0; i < entries.length; i += 2) ids.push({ id: entries[i]!, seq: entries[i + 1]! });
    const page = ids.slice(0, request.limit);
    const items = (await Promise.all(page.map(({ id }) => this.deliveryById(id)))).filter(
      (d): d is WebhookDelivery => d !== null,
    );
    const last = page.at(-1);
    return { items, nextCursor: ids.length > request.limit && last ? encodeSeq(last.seq) : null };
  }

  async redeliver(request: { id: string; subscriptionId: string }): Promise<WebhookDelivery | null> {
    const reply = (await this.run('webhookRedeliver', this.base, request.id, request.subscriptionId)) as
      | string[]
      | null;
    return reply ? this.withId(reply, request.id) : null;
  }

  async pruneDeliveries(request: { before: number; limit: number }): Promise<number> {
    return Number(await this.run('webhookPrune', this.base, request.before, request.limit));
  }

  async registerCallback(request: { jobId: string; url: string }): Promise<void> {
    await this.run('webhookMark', this.base, 'callback', request.jobId, request.url);
  }

  callbackFor(jobId: string): Promise<string | null> {
    return this.redis.hget(`${this.base}:cb`, jobId);
  }

  async finishedJobs(request: {
    queue: string;
    after: { at: number; id: string } | null;
    until: number;
    limit: number;
  }): Promise<Array<{ id: string; finishedAt: number }>> {
    const key = this.keys.finished(request.queue);
    const after = request.after;
    const out: Array<{ id: string; finishedAt: number }> = [];
    // Members of one score are in id order, so those tied with `after` are skipped up to its id.
    for (let offset = 0; out.length < request.limit; ) {
      const chunk = await this.redis.zrangebyscore(
        key,
        after ? after.at : '-inf',
        request.until,
        'WITHSCORES',
        'LIMIT',
        offset,
        request.limit,
      );
      for (let i = 0; i < chunk.length && out.length < request.limit; i += 2) {
        const id = chunk[i]!;
        const at = Number(chunk[i + 1]);
        if (after && at === after.at && id <= after.id) continue;
        out.push({ id, finishedAt: at });
      }
      if (chunk.length < request.limit * 2) break;
      offset += request.limit;
    }
    return out;
  }

  async mark(name: string): Promise<number | null> {
    const value = await this.redis.hget(`${this.base}:marks`, name);
    return value === null ? null : Number(value);
  }

  async setMark(name: string, value: number): Promise<void> {
    await this.run('webhookMark', this.base, 'mark', name, value);
  }
}

function fieldOf(flat: string[], field: string): string | undefined {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === field) return flat[i + 1];
  return undefined;
}

/** A claimed delivery's id: the hash holds no id field, so the claim reply carries it under its key name. */
function keyIdOf(flat: string[]): string {
  return fieldOf(flat, 'id') ?? '';
}

function encodeSeq(seq: string): string {
  return Buffer.from(seq).toString('base64url');
}

function decodeSeq(cursor: string): string | null {
  const seq = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^\d+$/.test(seq) ? seq : null;
}
