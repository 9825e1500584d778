/**
 * Conformance cases of the dynamic-queue registry (store/queue-registry.ts), on every
 * backend: caps server-wide and per owner, lastUsedAt refreshed by use, retirement only
 * of a queue idle since the bound, and forgetQueue only of a queue with no job left.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admitOk, request, type StoreFactory, type StoreHarness } from './store-conformance.js';

export function queueRegistryConformance(name: string, factory: StoreFactory): void {
  describe(`${name}: dynamic queues`, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.close();
    });
    const caps = { maxTotal: 3, maxPerOwner: 2 };

    it('records a queue once, then refuses past the per-owner and server-wide caps', async () => {
      const reg = h.store.queueRegistry;
      expect(await reg.recordDynamicQueue({ queue: 'a1', owner: 'alice', ...caps })).toBe('created');
      expect(await reg.recordDynamicQueue({ queue: 'a1', owner: 'alice', ...caps })).toBe('known');
      expect(await reg.recordDynamicQueue({ queue: 'a1', owner: 'bob', ...caps })).toBe('known');
      expect(await reg.recordDynamicQueue({ queue: 'a2', owner: 'alice', ...caps })).toBe('created');
      expect(await reg.recordDynamicQueue({ queue: 'a3', owner: 'alice', ...caps })).toBe('owner_limit');
      expect(await reg.recordDynamicQueue({ queue: 'b1', owner: 'bob', ...caps })).toBe('created');
      expect(await reg.recordDynamicQueue({ queue: 'c1', owner: 'carol', ...caps })).toBe('total_limit');
      // Known queues are used by anyone, caps or not.
      expect(await reg.recordDynamicQueue({ queue: 'a2', owner: 'carol', maxTotal: 0, maxPerOwner: 0 })).toBe(
        'known',
      );
      expect(
        await reg.recordDynamicQueue({ queue: 'z', owner: 'dave', maxTotal: null, maxPerOwner: null }),
      ).toBe('created');
      const records = await reg.listDynamicQueues();
      expect(records.map((r) => [r.queue, r.owner])).toEqual([
        ['a1', 'alice'],
        ['a2', 'alice'],
        ['b1', 'bob'],
        ['z', 'dave'],
      ]);
    });

    it('retires only a queue idle since the bound, and frees its owner’s allowance', async () => {
      const reg = h.store.queueRegistry;
      const t0 = await h.store.now();
      await reg.recordDynamicQueue({ queue: 'old', owner: 'alice', ...caps });
      await reg.recordDynamicQueue({ queue: 'kept', owner: 'alice', ...caps });
      await h.advance(10_000);
      await reg.recordDynamicQueue({ queue: 'kept', owner: 'alice', ...caps });
      const bound = t0 + 5_000;
      expect(await reg.idleDynamicQueues({ idleBefore: bound, limit: 10 })).toEqual(['old']);
      expect(await reg.retireDynamicQueue({ queue: 'kept', idleBefore: bound })).toBe(false);
      expect(await reg.retireDynamicQueue({ queue: 'old', idleBefore: bound })).toBe(true);
      expect(await reg.retireDynamicQueue({ queue: 'old', idleBefore: bound })).toBe(false);
      expect((await reg.listDynamicQueues()).map((r) => r.queue)).toEqual(['kept']);
      expect(await reg.recordDynamicQueue({ queue: 'new', owner: 'alice', ...caps })).toBe('created');
    });

    it('forgets a queue only when it holds no job in any status', async () => {
      const { store } = h;
      const { job } = await admitOk(store, request({ queue: 'fq' }));
      await store.setPaused({ queue: 'fq', paused: true });
      expect(await store.queueRegistry.forgetQueue('fq')).toBe(false);
      await store.setPaused({ queue: 'fq', paused: false });
      const [claimed] = await store.claim({ queue: 'fq', workerId: 'w', limit: 1, leaseMs: 60_000 });
      expect(await store.queueRegistry.forgetQueue('fq')).toBe(false);
      await store.complete({ id: job.id, token: claimed!.leaseToken, result: null });
      expect(await store.queueRegistry.forgetQueue('fq')).toBe(false);
      await h.advance(1_000);
      expect(await store.purge({ completedBefore: await store.now(), failedBefore: 0, limit: 10 })).toBe(1);
      await store.setPaused({ queue: 'fq', paused: true });
      expect(await store.queues()).toContain('fq');
      expect(await store.queueRegistry.forgetQueue('fq')).toBe(true);
      expect(await store.queues()).not.toContain('fq');
      expect((await store.queueState('fq')).paused).toBe(false);
      // Used again, it is listed again.
      await admitOk(store, request({ queue: 'fq' }));
      expect(await store.queues()).toContain('fq');
      expect((await store.counts('fq')).queued).toBe(1);
    });
  });
}
