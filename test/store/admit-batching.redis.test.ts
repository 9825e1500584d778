/**
 * While an admission is on the wire, the submits of one tick go out together (fewer,
 * larger script calls). Each job must still be answered as its own: its id, its
 * owner's limits and quota, its own error — and a refused job's quota charge given back
 * within the shared call.
 */
import { describe, expect, it } from 'vitest';
import type { AdmitRequest } from '../../src/store/store.js';
import { limited, request } from '../conformance/store-conformance.js';
import { redisCallCounts } from '../helpers/redis-call-counts.js';

describe('admissions sent together under load (Redis)', () => {
  const { fcalls, withStore } = redisCallCounts();

  it('answers each of many concurrent single submits as its own, in a few calls', async () => {
    await withStore(async (store) => {
      const before = await fcalls();
      // Equal limits in separate objects share calls; another owner's and other limits do not.
      const requests: AdmitRequest[] = Array.from({ length: 60 }, (_, i) =>
        request(
          { owner: i % 3 === 0 ? 'bob' : 'alice', payload: { i } },
          { limits: i % 3 === 2 ? limited({ dailyJobs: 1_000 }) : limited({ maxConcurrentPerUser: 5 }) },
        ),
      );
      const results = await Promise.all(requests.map((r) => store.admit([r])));
      const calls = (await fcalls()) - before;
      expect(calls).toBeLessThan(20);
      for (const [i, [result]] of results.entries()) {
        expect(result).toMatchObject({ kind: 'created', job: { id: requests[i]!.job.id, status: 'queued' } });
        const stored = await store.get(requests[i]!.job.id);
        expect(stored).toMatchObject({ owner: requests[i]!.job.owner, payload: { i } });
      }
      expect((await store.counts('q')).queued).toBe(60);
    });
  });

  it('refuses only the jobs over a full queue, and gives back their quota charge', async () => {
    await withStore(async (store) => {
      await store.configureQueue({ queue: 'q', maxWorkers: null, maxQueued: 5 });
      const limits = limited({ dailyJobs: 100 });
      const requests = Array.from({ length: 12 }, () => request({}, { limits }));
      const results = (await Promise.all(requests.map((r) => store.admit([r])))).map(([r]) => r!);
      expect(results.filter((r) => r.kind === 'created')).toHaveLength(5);
      const refused = results.filter((r) => r.kind === 'error');
      expect(refused).toHaveLength(7);
      for (const r of refused) expect(r).toMatchObject({ error: { code: 'JOBGATE_ERR_QUEUE_FULL' } });
      expect((await store.usage({ owner: 'alice', resetOffsetMs: 0 })).jobsUsed).toBe(5);
    });
  });

  it('keeps a daily quota exact across the jobs of one call', async () => {
    await withStore(async (store) => {
      const limits = limited({ dailyJobs: 3 });
      const requests = Array.from({ length: 8 }, () => request({}, { limits }));
      const results = (await Promise.all(requests.map((r) => store.admit([r])))).map(([r]) => r!);
      const now = results.filter((r) => r.kind === 'created' && !r.deferredByQuota);
      expect(now).toHaveLength(3);
      // The rest wait for the next days with room, three a day.
      const deferred = results.filter((r) => r.kind === 'created' && r.deferredByQuota);
      expect(deferred).toHaveLength(5);
      const days = deferred.map((r) => (r.kind === 'created' ? r.job.runAt : 0));
      expect(new Set(days).size).toBe(2);
    });
  });
});
