/**
 * A worker's completions made while earlier ones are on the wire go out together in one
 * script call. Each must still be answered as its own — its job as stored, its own lost
 * lease — and the jobs claimed for the freed slots handed out once each.
 */
import { describe, expect, it } from 'vitest';
import { admitOk, request } from '../conformance/store-conformance.js';
import { redisCallCounts } from '../helpers/redis-call-counts.js';

describe('completions sent together under load (Redis)', () => {
  const { fcalls, withStore } = redisCallCounts();

  it('answers each completion as its own and hands out each next job once', async () => {
    await withStore(async (store) => {
      for (let i = 0; i < 30; i++) await admitOk(store, request({ payload: { i } }));
      const next = { queue: 'q', workerId: 'w1', limit: 1, leaseMs: 30_000 };
      const running = await store.claim({ ...next, limit: 20 });
      expect(running).toHaveLength(20);
      const before = await fcalls();
      const outcomes = await Promise.allSettled(
        running.map((job, i) =>
          store.completeAndClaim({
            id: job.id,
            // One completion comes from a holder whose lease is gone.
            token: i === 7 ? 'not-the-token' : job.leaseToken,
            result: { done: i },
            next,
            known: job,
          }),
        ),
      );
      expect((await fcalls()) - before).toBeLessThan(20);

      const lost = outcomes[7]!;
      expect(lost).toMatchObject({ status: 'rejected', reason: { code: 'JOBGATE_ERR_LEASE_LOST' } });
      const handedOut: string[] = [];
      for (const [i, outcome] of outcomes.entries()) {
        if (i === 7) continue;
        expect(outcome.status).toBe('fulfilled');
        if (outcome.status !== 'fulfilled') continue;
        const { job, next: mine } = outcome.value;
        expect(mine.length).toBeLessThanOrEqual(1);
        // The answer is the job exactly as a read returns it.
        expect(job).toEqual(await store.get(running[i]!.id));
        expect(job).toMatchObject({ status: 'completed', result: { done: i }, workerId: null });
        handedOut.push(...mine.map((claimed) => claimed.id));
        for (const claimed of mine) {
          const { leaseToken, ...stored } = claimed;
          expect(stored).toEqual(await store.get(claimed.id));
          expect(leaseToken).toBeTruthy();
        }
      }
      // Ten were still queued: each leased once, none twice.
      expect(new Set(handedOut).size).toBe(10);
      expect(handedOut).toHaveLength(10);
      expect(await store.counts('q')).toMatchObject({ queued: 0, running: 11, completed: 19 });
      expect((await store.get(running[7]!.id))?.status).toBe('running');
    });
  });
});
