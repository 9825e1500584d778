/**
 * A lease is bound to the worker that claimed it: progress, complete, fail and release
 * that name another worker id answer lease_lost (409) even with the right token, in the
 * same atomic step as the token check, and leave the job as it was; the holder's own
 * writes go through. Without a worker id (in-process callers) the token alone decides.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admitOk, expectCode, request, type StoreFactory, type StoreHarness } from './store-conformance.js';

export function leaseBindingConformance(name: string, factory: StoreFactory): void {
  describe(`${name}: leases bound to their worker`, () => {
    let h: StoreHarness;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h.close();
    });

    async function leased() {
      await admitOk(h.store, request({ queue: 'lb' }));
      const [job] = await h.store.claim({ queue: 'lb', workerId: 'w-owner', limit: 1, leaseMs: 60_000 });
      return { id: job!.id, token: job!.leaseToken };
    }

    it('refuses another worker’s writes with the right token, and takes the holder’s', async () => {
      const lease = await leased();
      const other = { ...lease, workerId: 'w-other' };
      const progress = { percent: 50, stage: 'x', message: null };
      await expectCode(h.store.progress({ ...other, progress }), 'JOBGATE_ERR_LEASE_LOST');
      await expectCode(h.store.complete({ ...other, result: 1 }), 'JOBGATE_ERR_LEASE_LOST');
      await expectCode(
        h.store.fail({ ...other, error: { message: 'no', retryable: false }, retryDelayMs: null }),
        'JOBGATE_ERR_LEASE_LOST',
      );
      await expectCode(h.store.release(other), 'JOBGATE_ERR_LEASE_LOST');
      const unchanged = await h.store.get(lease.id);
      expect(unchanged).toMatchObject({ status: 'running', workerId: 'w-owner', progress: { percent: 0 } });

      const mine = { ...lease, workerId: 'w-owner' };
      expect((await h.store.progress({ ...mine, progress })).progress.percent).toBe(50);
      expect((await h.store.complete({ ...mine, result: 1 })).status).toBe('completed');
    });

    it('binds fail and release too, and leaves callers without a worker id to the token', async () => {
      const first = await leased();
      const failed = await h.store.fail({
        ...first,
        workerId: 'w-owner',
        error: { message: 'no', retryable: false },
        retryDelayMs: null,
      });
      expect(failed.status).toBe('failed');
      const second = await leased();
      expect((await h.store.release({ ...second, workerId: 'w-owner' })).status).toBe('queued');
      const third = await leased();
      expect((await h.store.complete({ ...third, result: null })).status).toBe('completed');
    });
  });
}
