/**
 * The webhook noun's cases (src/store/webhook-store.ts), run on every backend beside the
 * job suite: recording is idempotent, claims are fair per endpoint and bounded, a lost
 * lease makes a delivery due again, outcomes fence on the lease token, a failing streak
 * disables a subscription, the log pages newest first, the sweep reads finished jobs.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { NewDelivery, WebhookStore, WebhookSubscription } from '../../src/store/webhook-store.js';
import {
  admitOk,
  eachTestStore,
  request,
  type StoreFactory,
  type StoreHarness,
} from './store-conformance.js';

export function subscription(overrides: Partial<WebhookSubscription> = {}): WebhookSubscription {
  return {
    id: 'wh_a',
    owner: 'alice',
    allOwners: false,
    url: 'https://example.com/hook',
    email: null,
    events: ['job.completed'],
    queues: null,
    secrets: [{ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', expiresAt: null }],
    description: null,
    enabled: true,
    disabledReason: null,
    failingSince: null,
    createdAt: 1,
    updatedAt: 1,
    ...overrides,
  };
}

export function delivery(id: string, overrides: Partial<NewDelivery> = {}): NewDelivery {
  return {
    id,
    subscriptionId: 'wh_a',
    endpoint: 'wh_a',
    channel: 'http',
    target: 'https://example.com/hook',
    event: 'job.completed',
    jobId: 'job-1',
    payload: '{"type":"job.completed"}',
    ...overrides,
  };
}

const attempt = (at: number, responseCode: number | null) => ({
  at,
  responseCode,
  durationMs: 12,
  error: responseCode === null ? 'connect ECONNREFUSED' : null,
  response: responseCode === null ? null : 'ok',
});

export function webhookConformance(name: string, factory: StoreFactory): void {
  describe(`webhook store conformance: ${name}`, () => {
    let h!: StoreHarness;
    let w!: WebhookStore;
    eachTestStore(factory, (harness) => {
      h = harness;
      w = harness.store.webhooks;
    });
    beforeEach(async () => {
      await w.createSubscription(subscription());
    });

    it('creates, reads, lists per owner, patches and deletes subscriptions', async () => {
      await w.createSubscription(subscription({ id: 'wh_b', owner: 'bob', createdAt: 2 }));
      expect((await w.getSubscription('wh_a'))?.url).toBe('https://example.com/hook');
      expect(await w.getSubscription('wh_a', 'bob')).toBeNull();
      expect((await w.listSubscriptions()).map((s) => s.id)).toEqual(['wh_a', 'wh_b']);
      expect((await w.listSubscriptions('bob')).map((s) => s.id)).toEqual(['wh_b']);
      const patched = await w.updateSubscription({
        id: 'wh_a',
        patch: { events: ['job.failed'], queues: ['q'] },
      });
      expect(patched).toMatchObject({ events: ['job.failed'], queues: ['q'] });
      expect(await w.getSubscription('wh_a')).toMatchObject({ events: ['job.failed'], queues: ['q'] });
      expect(await w.updateSubscription({ id: 'wh_a', owner: 'bob', patch: { url: null } })).toBeNull();
      expect(await w.deleteSubscription({ id: 'wh_a', owner: 'bob' })).toBe(false);
      expect(await w.deleteSubscription({ id: 'wh_a' })).toBe(true);
      expect(await w.getSubscription('wh_a')).toBeNull();
      expect(await w.deleteSubscription({ id: 'wh_a' })).toBe(false);
    });

    it('rotates a secret: the old one stays valid until its expiry, then is dropped', async () => {
      const now = await h.store.now();
      const rotated = await w.updateSubscription({
        id: 'wh_a',
        patch: { rotate: { secret: 'whsec_bmV3', previousExpiresAt: now + 60_000 } },
      });
      expect(rotated?.secrets).toEqual([
        { secret: 'whsec_bmV3', expiresAt: null },
        { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', expiresAt: now + 60_000 },
      ]);
      await h.advance(61_000);
      const again = await w.updateSubscription({
        id: 'wh_a',
        patch: { rotate: { secret: 'whsec_dGhpcmQ', previousExpiresAt: now + 120_000 } },
      });
      expect(again?.secrets.map((s) => s.secret)).toEqual(['whsec_dGhpcmQ', 'whsec_bmV3']);
    });

    it('records a delivery once per id, pending and due now', async () => {
      expect(await w.recordDeliveries([delivery('m1'), delivery('m2')])).toBe(2);
      expect(await w.recordDeliveries([delivery('m1'), delivery('m3')])).toBe(1);
      const d = await w.getDelivery('m1');
      expect(d).toMatchObject({ id: 'm1', status: 'pending', attempts: 0, jobId: 'job-1', history: [] });
      expect(d?.nextAttemptAt).toBe(await h.store.now());
    });

    it('claims at most perEndpoint per endpoint, the longest-waiting endpoint first', async () => {
      await w.createSubscription(subscription({ id: 'wh_b' }));
      await w.recordDeliveries([delivery('a1'), delivery('a2'), delivery('a3')]);
      await h.advance(10);
      await w.recordDeliveries([delivery('b1', { subscriptionId: 'wh_b', endpoint: 'wh_b' })]);
      const first = await w.claimDeliveries({ limit: 10, perEndpoint: 2, leaseMs: 1000 });
      expect(first.map((d) => d.id).sort()).toEqual(['a1', 'a2', 'b1']);
      expect(first[0]?.id).toMatch(/^a/);
      for (const d of first) expect(d).toMatchObject({ status: 'sending', attempts: 1 });
      expect(new Set(first.map((d) => d.leaseToken)).size).toBe(3);
      // a3 waits for one of its endpoint's two slots.
      expect(await w.claimDeliveries({ limit: 10, perEndpoint: 2, leaseMs: 1000 })).toEqual([]);
      const a1 = first.find((d) => d.id === 'a1')!;
      const done = await w.finishDelivery({
        id: 'a1',
        token: a1.leaseToken,
        status: 'delivered',
        nextAttemptAt: null,
        attempt: attempt(await h.store.now(), 200),
        disableAfterMs: 86_400_000,
        disableReason: 'failing',
      });
      expect(done?.delivery).toMatchObject({
        status: 'delivered',
        responseCode: 200,
        response: 'ok',
        attempts: 1,
      });
      expect(done?.delivery.history).toHaveLength(1);
      expect(
        (await w.claimDeliveries({ limit: 10, perEndpoint: 2, leaseMs: 1000 })).map((d) => d.id),
      ).toEqual(['a3']);
    });

    it('fences outcomes on the lease: an expired lease is claimed again and the old token is refused', async () => {
      await w.recordDeliveries([delivery('m1')]);
      const [first] = await w.claimDeliveries({ limit: 1, perEndpoint: 1, leaseMs: 1000 });
      await h.advance(1001);
      const [second] = await w.claimDeliveries({ limit: 1, perEndpoint: 1, leaseMs: 1000 });
      expect(second).toMatchObject({ id: 'm1', attempts: 2 });
      expect(second!.leaseToken).not.toBe(first!.leaseToken);
      const base = {
        id: 'm1',
        status: 'delivered' as const,
        nextAttemptAt: null,
        attempt: attempt(await h.store.now(), 200),
        disableAfterMs: 86_400_000,
        disableReason: 'failing',
      };
      expect(await w.finishDelivery({ ...base, token: first!.leaseToken })).toBeNull();
      expect(await w.finishDelivery({ ...base, token: second!.leaseToken })).not.toBeNull();
    });

    it('schedules a retry, then disables the subscription after a failing streak; PATCH re-enables it', async () => {
      await w.recordDeliveries([delivery('m1')]);
      const fail = async (token: string) =>
        w.finishDelivery({
          id: 'm1',
          token,
          status: 'pending',
          nextAttemptAt: (await h.store.now()) + 5000,
          attempt: attempt(await h.store.now(), 500),
          disableAfterMs: 60_000,
          disableReason: 'Every attempt failed for 1 minute',
        });
      const [c1] = await w.claimDeliveries({ limit: 1, perEndpoint: 1, leaseMs: 1000 });
      const r1 = await fail(c1!.leaseToken);
      expect(r1).toMatchObject({ disabled: false, delivery: { status: 'pending', responseCode: 500 } });
      expect((await w.getSubscription('wh_a'))?.failingSince).toBe(await h.store.now());
      expect(await w.claimDeliveries({ limit: 1, perEndpoint: 1, leaseMs: 1000 })).toEqual([]);
      await h.advance(60_000);
      const [c2] = await w.claimDeliveries({ limit: 1, perEndpoint: 1, leaseMs: 1000 });
      expect(c2?.attempts).toBe(2);
      const r2 = await fail(c2!.leaseToken);
      expect(r2?.disabled).toBe(true);
      expect(r2?.delivery.history.map((a) => a.responseCode)).toEqual([500, 500]);
      expect(await w.getSubscription('wh_a')).toMatchObject({
        enabled: false,
        disabledReason: 'Every attempt failed for 1 minute',
      });
      await h.advance(10_000);
      expect(await w.claimDeliveries({ limit: 1, perEndpoint: 1, leaseMs: 1000 })).toEqual([]);
      const enabled = await w.updateSubscription({ id: 'wh_a', patch: { enabled: true } });
      expect(enabled).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
      expect((await w.claimDeliveries({ limit: 1, perEndpoint: 1, leaseMs: 1000 })).map((d) => d.id)).toEqual(
        ['m1'],
      );
    });

    it('claims callback deliveries, which have no subscription record', async () => {
      await w.recordDeliveries([
        delivery('c1', { subscriptionId: 'callback', endpoint: 'callback:example.com' }),
      ]);
      expect((await w.claimDeliveries({ limit: 5, perEndpoint: 1, leaseMs: 1000 })).map((d) => d.id)).toEqual(
        ['c1'],
      );
    });

    it('lists a subscription’s deliveries newest first in pages, redelivers and prunes', async () => {
      for (const id of ['m1', 'm2', 'm3']) {
        await w.recordDeliveries([delivery(id)]);
        await h.advance(5);
      }
      const page1 = await w.listDeliveries({ subscriptionId: 'wh_a', limit: 2 });
      expect(page1.items.map((d) => d.id)).toEqual(['m3', 'm2']);
      const page2 = await w.listDeliveries({ subscriptionId: 'wh_a', limit: 2, cursor: page1.nextCursor! });
      expect(page2.items.map((d) => d.id)).toEqual(['m1']);
      expect(page2.nextCursor).toBeNull();

      const [c] = await w.claimDeliveries({ limit: 1, perEndpoint: 1, leaseMs: 1000 });
      await w.finishDelivery({
        id: c!.id,
        token: c!.leaseToken,
        status: 'failed',
        nextAttemptAt: null,
        attempt: attempt(await h.store.now(), 410),
        disableAfterMs: 86_400_000,
        disableReason: 'failing',
      });
      expect(await w.redeliver({ id: c!.id, subscriptionId: 'wh_b' })).toBeNull();
      const again = await w.redeliver({ id: c!.id, subscriptionId: 'wh_a' });
      expect(again).toMatchObject({ status: 'pending', attempts: 0, responseCode: 410 });

      const claimed = await w.claimDeliveries({ limit: 10, perEndpoint: 10, leaseMs: 1000 });
      const c2 = claimed.find((d) => d.id === c!.id);
      expect(claimed).toHaveLength(3);
      await w.finishDelivery({
        id: c2!.id,
        token: c2!.leaseToken,
        status: 'delivered',
        nextAttemptAt: null,
        attempt: attempt(await h.store.now(), 200),
        disableAfterMs: 86_400_000,
        disableReason: 'failing',
      });
      await h.advance(1000);
      expect(await w.pruneDeliveries({ before: await h.store.now(), limit: 100 })).toBe(1);
      expect(await w.getDelivery(c!.id)).toBeNull();
      expect((await w.listDeliveries({ subscriptionId: 'wh_a', limit: 10 })).items).toHaveLength(2);
    });

    it('keeps job callbacks and a mark that only moves forward', async () => {
      await w.registerCallback({ jobId: 'j1', url: 'https://example.com/cb' });
      expect(await w.callbackFor('j1')).toBe('https://example.com/cb');
      expect(await w.callbackFor('j2')).toBeNull();
      expect(await w.mark('sweep')).toBeNull();
      await w.setMark('sweep', 100);
      await w.setMark('sweep', 50);
      expect(await w.mark('sweep')).toBe(100);
    });

    it('reads a queue’s finished jobs oldest first, after a (time, id) point and up to a time', async () => {
      const store = h.store;
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { job } = await admitOk(store, request({ queue: 'fq' }));
        const [claimed] = await store.claim({ queue: 'fq', workerId: 'w', limit: 1, leaseMs: 10_000 });
        await store.complete({ id: claimed!.id, token: claimed!.leaseToken, result: null });
        ids.push(job.id);
        await h.advance(10);
      }
      const all = await w.finishedJobs({ queue: 'fq', after: null, until: await store.now(), limit: 10 });
      expect(all.map((j) => j.id)).toEqual(ids);
      const rest = await w.finishedJobs({
        queue: 'fq',
        after: { at: all[0]!.finishedAt, id: all[0]!.id },
        until: all[1]!.finishedAt,
        limit: 10,
      });
      expect(rest.map((j) => j.id)).toEqual([ids[1]]);
      expect(
        await w.finishedJobs({ queue: 'other', after: null, until: await store.now(), limit: 10 }),
      ).toEqual([]);
    });
  });
}
