/** Capacity cases (fairness, limits, quotas, caps, iterations), run against every backend. */
import { describe, expect, it } from 'vitest';
import type { ClaimedJob } from '../../src/domain/job.js';
import { DAY_MS } from '../../src/domain/quota-calendar.js';
import { queueShard } from '../../src/store/redis/redis-keys.js';
import type { AdmitRequest, JobStore } from '../../src/store/store.js';
import {
  admitOk,
  eachTestStore,
  limited,
  request,
  type StoreFactory,
  type StoreHarness,
} from './store-conformance.js';

/** Two queue names whose Redis shard (hash slot) is the same: found by trying names in order. */
function queuesOfOneShard(): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const queue = `tq${i}`;
    const shard = queueShard(queue);
    const first = seen.get(shard);
    if (first) return [first, queue];
    seen.set(shard, queue);
  }
}

function queuesOfTwoShards(): [string, string] {
  return queueShard('tx') === queueShard('ty') ? ['tx', 'tz'] : ['tx', 'ty'];
}

export function capacityConformance(name: string, factory: StoreFactory): void {
  describe(`capacity conformance: ${name}`, () => {
    let h!: StoreHarness;
    let store!: JobStore;
    eachTestStore(factory, (fresh) => {
      h = fresh;
      store = fresh.store;
    });

    const claim = (limit = 1, queue = 'q') => store.claim({ queue, workerId: 'w', limit, leaseMs: 60_000 });
    const finish = async (job: { id: string; leaseToken: string }) =>
      store.complete({ id: job.id, token: job.leaseToken, result: null });

    it('claims a tier-boosted job before earlier jobs of a lower tier', async () => {
      for (let i = 0; i < 3; i++) await admitOk(store, request({ owner: 'free-user' }));
      const boosted = await admitOk(
        store,
        request({ owner: 'pro-user' }, { limits: limited({ priorityBoost: 2 }) }),
      );
      const [first] = await claim();
      expect(first?.id).toBe(boosted.job.id);
    });

    it('interleaves owners of equal priority round robin, FIFO within each', async () => {
      const ids: Record<string, string[]> = { a: [], b: [], c: [] };
      for (const owner of ['a', 'b', 'c']) {
        for (let i = 0; i < 4; i++) ids[owner]!.push((await admitOk(store, request({ owner }))).job.id);
      }
      const order: string[] = [];
      for (let i = 0; i < 12; i++) {
        const [job] = await claim();
        order.push(job!.owner);
        await finish(job!);
      }
      expect(order).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
    });

    it('keeps FIFO within an owner while round robin runs', async () => {
      const mine: string[] = [];
      for (let i = 0; i < 3; i++) mine.push((await admitOk(store, request({ owner: 'a' }))).job.id);
      await admitOk(store, request({ owner: 'b' }));
      const claimed = await claim(4);
      expect(claimed.filter((j) => j.owner === 'a').map((j) => j.id)).toEqual(mine);
    });

    it('never runs more than maxConcurrentPerUser for one owner in a queue; each queue has its own allowance', async () => {
      const limits = limited({ maxConcurrentPerUser: 2 });
      for (let i = 0; i < 3; i++) await admitOk(store, request({ owner: 'u' }, { limits }));
      await admitOk(store, request({ owner: 'u', queue: 'q2' }, { limits }));
      const running = await claim(10);
      expect(running).toHaveLength(2);
      // Two running in q do not count against q2.
      const inQ2 = await claim(10, 'q2');
      expect(inQ2.map((j) => j.owner)).toEqual(['u']);
      for (let i = 0; i < 3; i++) await admitOk(store, request({ owner: 'u', queue: 'q2' }, { limits }));
      await admitOk(store, request({ owner: 'u' }, { limits }));
      expect(await claim(10)).toEqual([]);
      expect(await claim(10, 'q2')).toHaveLength(1);
      expect(await claim(10, 'q2')).toEqual([]);
      expect(await store.counts('q')).toMatchObject({ running: 2, queued: 2 });
      expect(await store.counts('q2')).toMatchObject({ running: 2, queued: 2 });
      // A slot freed in q2 is q2's alone.
      await finish(inQ2[0]!);
      expect(await claim(10)).toEqual([]);
      expect(await claim(10, 'q2')).toHaveLength(1);
      await finish(running[0]!);
      expect(await claim(10)).toHaveLength(1);
      expect(await store.counts('q')).toMatchObject({ running: 2, queued: 1 });
      expect(await store.counts('q2')).toMatchObject({ running: 2, queued: 1 });
    });

    it('limits per (queue, owner, project): the same project has its own allowance in each queue', async () => {
      const limits = limited({ maxConcurrentPerProject: 1 });
      for (const queue of ['q', 'q', 'q2', 'q2'])
        await admitOk(store, request({ owner: 'u', projectId: 'p', queue }, { limits }));
      const inQ = await claim(10);
      const inQ2 = await claim(10, 'q2');
      expect(inQ.map((j) => [j.queue, j.projectId])).toEqual([['q', 'p']]);
      expect(inQ2.map((j) => [j.queue, j.projectId])).toEqual([['q2', 'p']]);
      expect(await claim(10)).toEqual([]);
      expect(await claim(10, 'q2')).toEqual([]);
      // Finishing p's job in q2 frees p in q2 only.
      await finish(inQ2[0]!);
      expect(await claim(10)).toEqual([]);
      expect(await claim(10, 'q2')).toHaveLength(1);
      expect(await store.counts('q')).toMatchObject({ running: 1, queued: 1 });
      expect(await store.counts('q2')).toMatchObject({ running: 1, queued: 0, completed: 1 });
      await finish(inQ[0]!);
      expect(await claim(10)).toHaveLength(1);
    });

    describe('limits scoped to the tenant (limitScope: tenant)', () => {
      // Where the scope reaches (store.capabilities.tenantScope): every queue, or on Redis
      // Cluster the queues of one hash slot. Exact cases use two queues of one slot.
      const scope = () => store.capabilities.tenantScope ?? 'global';
      const [qa, qb] = queuesOfOneShard();
      const claimIn = (queue: string, limit = 10) => claim(limit, queue);

      it('counts an owner’s running jobs across queues, parks it in every queue and wakes it in every queue', async () => {
        const limits = limited({ maxConcurrentPerUser: 2, limitScope: 'tenant' });
        for (const queue of [qa, qa, qb, qb])
          await admitOk(store, request({ owner: 'u', queue }, { limits }));
        const other = await admitOk(store, request({ owner: 'v', queue: qb }));
        const inA = await claimIn(qa);
        expect(inA.map((j) => j.owner)).toEqual(['u', 'u']);
        // u runs 2 (its limit) in qa: in qb only v's job runs, and v's is next in line there.
        expect(await store.position(other.job.id)).toBe(1);
        expect((await claimIn(qb)).map((j) => j.owner)).toEqual(['v']);
        await admitOk(store, request({ owner: 'u', queue: qb }, { limits }));
        expect(await claimIn(qb)).toEqual([]);
        // A slot freed in qa is the tenant's: qb takes it.
        await finish(inA[0]!);
        const inB = await claimIn(qb);
        expect(inB.map((j) => [j.owner, j.queue])).toEqual([['u', qb]]);
        expect(await claimIn(qa)).toEqual([]);
        expect(await claimIn(qb)).toEqual([]);
        await finish(inB[0]!);
        expect(await claimIn(qa)).toHaveLength(0);
        expect(await claimIn(qb)).toHaveLength(1);
        expect(await store.counts(qa)).toMatchObject({ running: 1, queued: 0 });
        expect(await store.counts(qb)).toMatchObject({ running: 2, queued: 1 }); // v's and u's
      });

      it('counts a project’s running jobs across queues; the owner’s other projects still run', async () => {
        const limits = limited({ maxConcurrentPerProject: 1, limitScope: 'tenant' });
        for (const queue of [qa, qb])
          await admitOk(store, request({ owner: 'u', projectId: 'p', queue }, { limits }));
        const [running] = await claimIn(qa);
        expect(running?.projectId).toBe('p');
        expect(await claimIn(qb)).toEqual([]);
        await admitOk(store, request({ owner: 'u', projectId: 'p2', queue: qb }, { limits }));
        expect((await claimIn(qb)).map((j) => j.projectId)).toEqual(['p2']);
        await finish(running!);
        expect((await claimIn(qb)).map((j) => j.projectId)).toEqual(['p']);
      });

      it('reaches queues of other hash slots only where the store says it does', async () => {
        const [qx, qy] = queuesOfTwoShards();
        const limits = limited({ maxConcurrentPerUser: 1, limitScope: 'tenant' });
        for (const queue of [qx, qy]) await admitOk(store, request({ owner: 'u', queue }, { limits }));
        expect(await claimIn(qx)).toHaveLength(1);
        // global: one job of u runs in all; slot (Redis Cluster): each slot counts its own.
        expect(await claimIn(qy)).toHaveLength(scope() === 'global' ? 0 : 1);
      });

      it('keeps counting right when a tier’s scope changes while its jobs run', async () => {
        const tenantWide = limited({ maxConcurrentPerUser: 1, limitScope: 'tenant' });
        const perQueue = limited({ maxConcurrentPerUser: 1 });
        await admitOk(store, request({ owner: 'u', queue: qa }, { limits: tenantWide }));
        const [first] = await claimIn(qa);
        // The tier goes back to per-queue limits, then to tenant-wide again, while the job runs.
        await admitOk(store, request({ owner: 'u', queue: qa }, { limits: perQueue }));
        await finish(first!);
        for (const queue of [qa, qb])
          await admitOk(store, request({ owner: 'u', queue }, { limits: tenantWide }));
        // Nothing of u runs: one job may start, in one queue only.
        const started = [...(await claimIn(qa)), ...(await claimIn(qb))];
        expect(started).toHaveLength(1);
      });

      it('keeps the per-queue scope the default', async () => {
        const limits = limited({ maxConcurrentPerUser: 1 });
        for (const queue of [qa, qb]) await admitOk(store, request({ owner: 'u', queue }, { limits }));
        expect(await claimIn(qa)).toHaveLength(1);
        expect(await claimIn(qb)).toHaveLength(1);
      });
    });

    it('parks an owner at its limit in one queue without parking it in another', async () => {
      const limits = limited({ maxConcurrentPerUser: 1 });
      await admitOk(store, request({ owner: 'u' }, { limits }));
      await admitOk(store, request({ owner: 'u' }, { limits }));
      const mineInQ2 = await admitOk(store, request({ owner: 'u', queue: 'q2' }, { limits }));
      const [running] = await claim();
      expect(running?.owner).toBe('u');
      // u is at its limit in q: its group there is parked, so it is not ahead of v's job.
      const vInQ = await admitOk(store, request({ owner: 'v' }));
      expect(await store.position(vInQ.job.id)).toBe(1);
      // In q2 u runs nothing: its group stays ready, one turn ahead of v's younger group.
      const vInQ2 = await admitOk(store, request({ owner: 'v', queue: 'q2' }));
      expect(await store.position(mineInQ2.job.id)).toBe(1);
      expect(await store.position(vInQ2.job.id)).toBe(2);
      expect((await claim(1, 'q2')).map((j) => j.id)).toEqual([mineInQ2.job.id]);
      expect((await claim(10)).map((j) => j.id)).toEqual([vInQ.job.id]);
      expect(await claim(10)).toEqual([]);
      // The slot u frees in q returns its parked group there.
      await finish(running!);
      expect((await claim(10)).map((j) => j.owner)).toEqual(['u']);
    });

    it('limits per (owner, project) without blocking the owner’s other projects', async () => {
      const limits = limited({ maxConcurrentPerProject: 1 });
      await admitOk(store, request({ owner: 'u', projectId: 'p1' }, { limits }));
      await admitOk(store, request({ owner: 'u', projectId: 'p1' }, { limits }));
      const other = await admitOk(store, request({ owner: 'u', projectId: 'p2' }, { limits }));
      const running = await claim(10);
      expect(running.map((j) => j.projectId).sort()).toEqual(['p1', 'p2']);
      expect(running.some((j) => j.id === other.job.id)).toBe(true);
      expect(await claim(10)).toEqual([]);
      await finish(running.find((j) => j.projectId === 'p1')!);
      expect((await claim(10)).map((j) => j.projectId)).toEqual(['p1']);
    });

    it('does not let an owner at its limit delay another owner (no head-of-line blocking)', async () => {
      const limits = limited({ maxConcurrentPerUser: 1 });
      await store.admit(Array.from({ length: 2_000 }, () => request({ owner: 'heavy' }, { limits })));
      const [heavyRunning] = await claim();
      expect(heavyRunning?.owner).toBe('heavy');
      const light = await admitOk(store, request({ owner: 'light', priority: 10 }));
      const [next] = await claim();
      expect(next?.id).toBe(light.job.id);
      expect(await claim(5)).toEqual([]);
      // When the slot frees, the parked owner comes back.
      await finish(heavyRunning!);
      expect((await claim())[0]?.owner).toBe('heavy');
    });

    it('caps running jobs per queue at maxWorkers', async () => {
      await store.configureQueue({ queue: 'q', maxWorkers: 2, maxQueued: null });
      for (let i = 0; i < 4; i++) await admitOk(store, request({ owner: `o${i}` }));
      const running = await claim(10);
      expect(running).toHaveLength(2);
      expect(await claim(10)).toEqual([]);
      await finish(running[0]!);
      expect(await claim(10)).toHaveLength(1);
    });

    it('refuses a submit when the queue holds maxQueued waiting jobs, creating nothing', async () => {
      await store.configureQueue({ queue: 'q', maxWorkers: null, maxQueued: 2 });
      await admitOk(store, request());
      await admitOk(store, request({ delayMs: 5_000 }));
      const [third] = await store.admit([request()]);
      expect(third).toMatchObject({ kind: 'error', error: { code: 'JOBGATE_ERR_QUEUE_FULL' } });
      // The refused submit is not charged to the owner's daily usage.
      expect((await store.usage({ owner: 'alice', resetOffsetMs: 0 })).jobsUsed).toBe(2);
      expect(await store.counts('q')).toMatchObject({ queued: 1, scheduled: 1 });
      await claim();
      expect((await store.admit([request()]))[0]?.kind).toBe('created');
    });

    it('lets an idempotent submit refused by a full queue succeed once there is room', async () => {
      await store.configureQueue({ queue: 'q', maxWorkers: null, maxQueued: 1 });
      await admitOk(store, request());
      const idempotency = { key: 'k1', fingerprint: 'f1', ttlMs: 60_000 };
      const [refused] = await store.admit([request({}, { idempotency })]);
      expect(refused).toMatchObject({ kind: 'error', error: { code: 'JOBGATE_ERR_QUEUE_FULL' } });
      await claim();
      const again = await admitOk(store, request({}, { idempotency }));
      expect(again.kind).toBe('created');
      const repeat = await admitOk(store, request({}, { idempotency }));
      expect(repeat).toMatchObject({ kind: 'duplicate', job: { id: again.job.id } });
    });

    it('ages a low-priority group ahead of a stream of high-priority work', async () => {
      const low = await admitOk(store, request({ owner: 'patient', priority: 10 }));
      let claimedLowAt = -1;
      for (let i = 0; i < 200 && claimedLowAt < 0; i++) {
        await admitOk(store, request({ owner: `eager${i % 3}`, priority: 1 }));
        const [job] = await claim();
        if (job?.id === low.job.id) claimedLowAt = i;
        else await finish(job!);
      }
      expect(claimedLowAt).toBeGreaterThan(0);
      // Nine levels apart at agingTurns 10 (the default): passed by at most ~90 dispatches.
      expect(claimedLowAt).toBeLessThanOrEqual(9 * 10 + 1);
    });

    it('gives two backlogged groups of different priority turns by their start tags', async () => {
      // Four levels apart at agingTurns 10: the higher group runs about 40 turns ahead,
      // then the two alternate. A group's tag must advance one turn per claim, no more.
      for (let i = 0; i < 60; i++) {
        await admitOk(store, request({ owner: 'hi', priority: 1 }));
        await admitOk(store, request({ owner: 'lo', priority: 5 }));
      }
      const owners: string[] = [];
      for (let i = 0; i < 60; i++) {
        const [job] = await claim();
        owners.push(job!.owner);
        await finish(job!);
      }
      expect(owners.slice(0, 40).every((owner) => owner === 'hi')).toBe(true);
      const lo = owners.slice(40).filter((owner) => owner === 'lo').length;
      expect(lo).toBeGreaterThanOrEqual(8);
      expect(lo).toBeLessThanOrEqual(11);
    });

    it('leases several jobs in one claim in the order single claims would', async () => {
      // Three owners at three priorities, one with a limit, the same in two queues: one
      // claim of many must lease what as many claims of one do (a store may lease a
      // group's run of turns at once).
      const limits = limited({ maxConcurrentPerUser: 9 });
      for (const queue of ['a', 'b']) {
        for (let i = 0; i < 30; i++) {
          await admitOk(store, request({ queue, owner: 'hi', priority: 2 }, { limits }));
          await admitOk(store, request({ queue, owner: 'mid', priority: 3 }));
          await admitOk(store, request({ queue, owner: 'lo', priority: 4 }));
        }
      }
      const batched = (await claim(40, 'a')).map((job) => job.owner);
      const single: string[] = [];
      for (let i = 0; i < 40; i++) single.push(...(await claim(1, 'b')).map((job) => job.owner));
      expect(batched).toEqual(single);
      expect(batched.filter((owner) => owner === 'hi')).toHaveLength(9);
      expect(new Set(batched)).toEqual(new Set(['hi', 'mid', 'lo']));
    });

    it('admits and claims for an idle worker in one step exactly as an admit and then a claim would', async () => {
      // The same script of submits in two queues: in 'a' each submit claims for the idle
      // worker in its own step (a store may lease a new job as it is created), in 'b' it
      // is admitted and then claimed. What is leased, and the fair order of everything
      // after, must be the same: a job leased as it is admitted must leave the counters,
      // groups and virtual time as the claim would.
      const z = limited({ maxConcurrentPerUser: 1 });
      const trace: Record<string, string[]> = { a: [], b: [] };
      const leases: Record<string, ClaimedJob[]> = { a: [], b: [] };
      const submit = async (queue: string, jobs: AdmitRequest[], limit: number) => {
        const worker = { queue, workerId: 'w', limit, leaseMs: 60_000 };
        let claimed: ClaimedJob[];
        if (queue === 'a') {
          const { outcomes, claimed: got } = await store.admitAndClaim(jobs, worker);
          expect(outcomes.map((outcome) => outcome.kind)).toEqual(jobs.map(() => 'created'));
          claimed = got;
        } else {
          const outcomes = await store.admit(jobs);
          expect(outcomes.map((outcome) => outcome.kind)).toEqual(jobs.map(() => 'created'));
          claimed = await store.claim(worker);
        }
        const at = new Map(jobs.map((job, k) => [job.job.id, k]));
        // Which owner, and which of this step's jobs (or an older one: -1).
        trace[queue]!.push(claimed.map((job) => `${job.owner}#${at.get(job.id) ?? -1}`).join(' '));
        leases[queue]!.push(...claimed);
        return claimed;
      };
      const done = async (queue: string, owner: string) => {
        const job = leases[queue]!.find((lease) => lease.owner === owner);
        leases[queue]!.splice(leases[queue]!.indexOf(job!), 1);
        await finish(job!);
      };
      for (const queue of ['a', 'b']) {
        // A lone job to an idle, empty queue, then its completion.
        await submit(queue, [request({ queue, owner: 'x' })], 1);
        await done(queue, 'x');
        // Another owner's backlog is ahead: the claim takes the fair next, not the new job.
        for (let i = 0; i < 3; i++) await admitOk(store, request({ queue, owner: 'y' }));
        await submit(queue, [request({ queue, owner: 'x' })], 2);
        // An owner at its limit: its new job waits (parked) while its first runs.
        await submit(queue, [request({ queue, owner: 'z' }, { limits: z })], 1);
        await submit(queue, [request({ queue, owner: 'z' }, { limits: z })], 1);
        // A batch: the worker's two slots take what claims of two would.
        await submit(
          queue,
          [1, 2, 3].map(() => request({ queue, owner: 'w' })),
          2,
        );
        // Paused: admitted, nothing leased; a delayed job is not leased either.
        await store.setPaused({ queue, paused: true });
        await submit(queue, [request({ queue, owner: 'v' })], 1);
        await store.setPaused({ queue, paused: false });
        await submit(queue, [request({ queue, owner: 'v', delayMs: 60_000 })], 1);
        // Everything leased so far ends; the rest drains in fair order.
        for (const lease of [...leases[queue]!]) await done(queue, lease.owner);
        for (let i = 0; i < 12; i++) {
          const [job] = await claim(1, queue);
          if (!job) break;
          trace[queue]!.push(job.owner);
          await finish(job);
        }
      }
      expect(trace.a).toEqual(trace.b);
      expect(trace.a![0]).toBe('x#0');
      expect(await store.counts('a')).toEqual(await store.counts('b'));
    });

    it('leases a job admitted for an idle worker as a claim does: the stored job matches the lease', async () => {
      const { claimed, outcomes } = await store.admitAndClaim([request({ owner: 'u' })], {
        queue: 'q',
        workerId: 'w9',
        limit: 3,
        leaseMs: 30_000,
      });
      expect(outcomes[0]).toMatchObject({ kind: 'created' });
      expect(claimed).toHaveLength(1);
      const [lease] = claimed;
      const { leaseToken, ...job } = lease!;
      expect(leaseToken).toBeTruthy();
      expect(job).toEqual(await store.get(lease!.id));
      expect(job).toMatchObject({ status: 'running', attempts: 1, workerId: 'w9' });
      expect(job.leaseExpiresAt).toBe(job.startedAt! + 30_000);
      // The lease is live: heartbeats extend it and the completion is accepted.
      expect(
        (await store.heartbeat({ leases: [{ id: lease!.id, token: leaseToken }], leaseMs: 30_000 })).extended,
      ).toEqual([lease!.id]);
      expect((await finish(lease!)).status).toBe('completed');
      expect(await store.counts('q')).toMatchObject({ running: 0, completed: 1, queued: 0 });
    });

    it('counts a job leased as it is admitted against the owner, project and queue limits', async () => {
      await store.configureQueue({ queue: 'q', maxWorkers: 2, maxQueued: null });
      const one = limited({ maxConcurrentPerUser: 1 });
      const worker = { queue: 'q', workerId: 'w', limit: 1, leaseMs: 60_000 };
      const first = await store.admitAndClaim([request({ owner: 'u' }, { limits: one })], worker);
      expect(first.claimed.map((job) => job.owner)).toEqual(['u']);
      // u is at its limit: its next job waits.
      const second = await store.admitAndClaim([request({ owner: 'u' }, { limits: one })], worker);
      expect(second.claimed).toEqual([]);
      const project = limited({ maxConcurrentPerProject: 1 });
      const third = await store.admitAndClaim(
        [request({ owner: 'v', projectId: 'p' }, { limits: project })],
        worker,
      );
      expect(third.claimed.map((job) => job.owner)).toEqual(['v']);
      // Two running: the queue is at maxWorkers.
      await store.configureQueue({ queue: 'q', maxWorkers: 3, maxQueued: null });
      const fourth = await store.admitAndClaim(
        [request({ owner: 'v', projectId: 'p' }, { limits: project })],
        worker,
      );
      expect(fourth.claimed).toEqual([]);
      await store.configureQueue({ queue: 'q', maxWorkers: 2, maxQueued: null });
      const fifth = await store.admitAndClaim([request({ owner: 'x' })], worker);
      expect(fifth.claimed).toEqual([]);
      // Each finish frees its owner's place: the owner's waiting job comes next.
      await finish(first.claimed[0]!);
      expect((await claim(5)).map((job) => job.id)).toEqual([
        second.outcomes[0]!.kind === 'error' ? '' : second.outcomes[0]!.job.id,
      ]);
      expect(await store.counts('q')).toMatchObject({ running: 2, queued: 2 });
    });

    describe('daily quota', () => {
      const quota = limited({ dailyJobs: 5 });
      const calendar = { resetOffsetMs: 0, jitterMs: 1_234 };

      it('defers jobs over the daily limit to the next day with room, never rejects them', async () => {
        const now = await store.now();
        const nextDay = (Math.floor(now / DAY_MS) + 1) * DAY_MS;
        for (let i = 1; i <= 5; i++) {
          const { job } = await admitOk(store, request({ owner: 'u' }, { limits: quota, calendar }));
          expect(job.status).toBe('queued');
          expect((await store.usage({ owner: 'u', resetOffsetMs: 0 })).jobsUsed).toBe(i);
        }
        const sixth = await admitOk(store, request({ owner: 'u' }, { limits: quota, calendar }));
        expect(sixth).toMatchObject({ kind: 'created', deferredByQuota: true, job: { status: 'scheduled' } });
        expect(sixth.job.runAt).toBe(nextDay + 1_234);
        const usage = await store.usage({ owner: 'u', resetOffsetMs: 0 });
        expect(usage).toMatchObject({ jobsUsed: 5, resetsAt: nextDay });
        // Five more fill tomorrow; the next lands the day after.
        for (let i = 0; i < 5; i++)
          await admitOk(store, request({ owner: 'u' }, { limits: quota, calendar }));
        const later = await admitOk(store, request({ owner: 'u' }, { limits: quota, calendar }));
        expect(later.job.runAt).toBe(nextDay + DAY_MS + 1_234);
        // Another owner is not affected.
        expect((await admitOk(store, request({ owner: 'v' }, { limits: quota, calendar }))).job.status).toBe(
          'queued',
        );
      });

      it('charges a batch over the daily limit job by job, as single submits would be', async () => {
        const results = await store.admit(
          Array.from({ length: 13 }, () => request({ owner: 'u' }, { limits: quota, calendar })),
        );
        const jobs = results.map((result) => {
          if (result.kind === 'error') throw result.error;
          return result.job;
        });
        expect(jobs.map((job) => job.status)).toEqual([
          ...Array<string>(5).fill('queued'),
          ...Array<string>(8).fill('scheduled'),
        ]);
        const nextDay = (Math.floor((await store.now()) / DAY_MS) + 1) * DAY_MS;
        expect(jobs.slice(5).map((job) => job.runAt)).toEqual([
          ...Array<number>(5).fill(nextDay + 1_234),
          ...Array<number>(3).fill(nextDay + DAY_MS + 1_234),
        ]);
        const used = async () => (await store.usage({ owner: 'u', resetOffsetMs: 0 })).jobsUsed;
        expect(await used()).toBe(5);
        await h.advance(DAY_MS);
        expect(await used()).toBe(5);
        await h.advance(DAY_MS);
        expect(await used()).toBe(3);
      });

      it('gives back the charge of a refused job in the middle of a batch', async () => {
        const theirs = await admitOk(store, request({ owner: 'other' }));
        const results = await store.admit([
          request({ owner: 'u' }, { limits: quota, calendar }),
          request({ owner: 'u', parentId: theirs.job.id }, { limits: quota, calendar }),
          request({ owner: 'u' }, { limits: quota, calendar }),
          request({ owner: 'u' }, { limits: quota, calendar }),
        ]);
        expect(results.map((result) => result.kind)).toEqual(['created', 'error', 'created', 'created']);
        expect((await store.usage({ owner: 'u', resetOffsetMs: 0 })).jobsUsed).toBe(3);
        // The refund left the day with room for exactly two more today.
        const more = await store.admit(
          Array.from({ length: 3 }, () => request({ owner: 'u' }, { limits: quota, calendar })),
        );
        expect(more.map((result) => (result.kind === 'error' ? 'error' : result.job.status))).toEqual([
          'queued',
          'queued',
          'scheduled',
        ]);
      });

      it('charges a deferred job to the day it runs in', async () => {
        for (let i = 0; i < 6; i++)
          await admitOk(store, request({ owner: 'u' }, { limits: quota, calendar }));
        await h.advance(DAY_MS);
        expect((await store.usage({ owner: 'u', resetOffsetMs: 0 })).jobsUsed).toBe(1);
      });
    });

    describe('follow-up iterations', () => {
      const limits = limited({ iterationDepth: 1, iterationBatch: 2 });

      it('holds iterations beyond the tier depth for confirmation, and confirm grants a batch', async () => {
        const root = await admitOk(store, request({ owner: 'u' }, { limits }));
        const d1 = await admitOk(store, request({ owner: 'u', parentId: root.job.id }, { limits }));
        expect(d1.job).toMatchObject({ status: 'queued', depth: 1 });
        const d2 = await admitOk(store, request({ owner: 'u', parentId: d1.job.id }, { limits }));
        expect(d2.job).toMatchObject({ status: 'awaiting_confirmation', depth: 2 });
        expect(await claim(10)).toHaveLength(2);
        const confirmed = await store.confirm({ id: d2.job.id, grant: 2 });
        expect(confirmed.status).toBe('queued');
        expect(confirmed.iterationAllowance).toBe(3);
        const d3 = await admitOk(store, request({ owner: 'u', parentId: d2.job.id }, { limits }));
        // A follow-up's allowance counts the chain's confirmed batches (what the answer's
        // iterationsRemaining is read from), as its admission did.
        expect(d3.job).toMatchObject({ status: 'queued', iterationAllowance: 3 });
        const d4 = await admitOk(store, request({ owner: 'u', parentId: d3.job.id }, { limits }));
        expect(d4.job).toMatchObject({ status: 'awaiting_confirmation', iterationAllowance: 3 });
        const again = await store.confirm({ id: d4.job.id, grant: 2 });
        expect(again.iterationAllowance).toBe(5);
        expect((await store.usage({ owner: 'u', resetOffsetMs: 0 })).iterationsUsed).toBe(4);
      });

      it('refuses a parent of another owner and confirm of a job that does not await it', async () => {
        const theirs = await admitOk(store, request({ owner: 'other' }));
        const [result] = await store.admit([request({ owner: 'u', parentId: theirs.job.id }, { limits })]);
        expect(result).toMatchObject({ kind: 'error', error: { code: 'JOBGATE_ERR_UNPROCESSABLE' } });
        await expect(store.confirm({ id: theirs.job.id, grant: 1 })).rejects.toMatchObject({
          code: 'JOBGATE_ERR_ILLEGAL_TRANSITION',
        });
      });

      it('keeps a chain in its parent’s queue and gives the refused charge back', async () => {
        const root = await admitOk(store, request({ owner: 'u' }, { limits }));
        const used = (await store.usage({ owner: 'u', resetOffsetMs: 0 })).jobsUsed;
        const [elsewhere] = await store.admit([
          request({ owner: 'u', queue: 'q2', parentId: root.job.id }, { limits }),
        ]);
        expect(elsewhere).toMatchObject({ kind: 'error', error: { code: 'JOBGATE_ERR_UNPROCESSABLE' } });
        expect((await store.usage({ owner: 'u', resetOffsetMs: 0 })).jobsUsed).toBe(used);
        expect(await store.counts('q2')).toMatchObject({ queued: 0, awaiting_confirmation: 0 });
      });
    });

    it('estimates a queued job’s place in the fair claim order', async () => {
      const a1 = await admitOk(store, request({ owner: 'a' }));
      await admitOk(store, request({ owner: 'a' }));
      const a3 = await admitOk(store, request({ owner: 'a' }));
      const b1 = await admitOk(store, request({ owner: 'b' }));
      // Claim order is a1, b1, a2, a3.
      expect(await store.position(a1.job.id)).toBe(1);
      expect(await store.position(b1.job.id)).toBe(2);
      expect(await store.position(a3.job.id)).toBe(4);
      const [first] = await claim();
      expect(await store.position(first!.id)).toBeNull();
      expect(await store.position(b1.job.id)).toBe(1);
    });

    it('places jobs in a long backlog exactly, at its front, middle and back', async () => {
      // 700 jobs of one owner and one of its jobs at a worse priority: counts far past any
      // shortcut a store takes for the ends of a big group.
      const ids: string[] = [];
      for (let batch = 0; batch < 7; batch++) {
        const results = await store.admit(Array.from({ length: 100 }, () => request({ owner: 'heavy' })));
        for (const result of results) ids.push((result as { job: { id: string } }).job.id);
      }
      const low = await admitOk(store, request({ owner: 'heavy', priority: 9 }));
      const light = await admitOk(store, request({ owner: 'light' }));
      // light's turn comes right after heavy's first job (equal keys: the older group first).
      expect(await store.position(ids[0]!)).toBe(1);
      expect(await store.position(light.job.id)).toBe(2);
      expect(await store.position(ids[350]!)).toBe(352);
      expect(await store.position(ids[699]!)).toBe(701);
      expect(await store.position(low.job.id)).toBe(702);
      await claim();
      expect(await store.position(ids[699]!)).toBe(700);
    });

    it('stores API keys by prefix and revokes them', async () => {
      const record = {
        id: 'key_1',
        prefix: 'jg_abc',
        hash: 'h',
        owner: 'acme',
        role: 'tenant' as const,
        tier: 'pro',
        name: 'ci',
        createdAt: 1,
        revokedAt: null,
      };
      await store.createKey(record);
      expect(await store.findKey('jg_abc')).toEqual(record);
      expect(await store.findKey('jg_zzz')).toBeNull();
      expect((await store.listKeys()).map((k) => k.id)).toEqual(['key_1']);
      expect(await store.revokeKey('key_1')).toBe(true);
      expect((await store.findKey('jg_abc'))?.revokedAt).toEqual(expect.any(Number));
      expect(await store.revokeKey('missing')).toBe(false);
    });

    it('rate-limits with a token bucket on the store clock', async () => {
      const bucket = { key: 'k', capacity: 3, refillMs: 1_000 };
      const taken = [];
      for (let i = 0; i < 4; i++) taken.push(await store.takeToken(bucket));
      expect(taken.map((t) => t.allowed)).toEqual([true, true, true, false]);
      expect(taken.map((t) => t.remaining)).toEqual([2, 1, 0, 0]);
      expect(taken[3]!.resetMs).toBe(1_000);
      await h.advance(1_000);
      expect((await store.takeToken(bucket)).allowed).toBe(true);
      expect((await store.takeToken(bucket)).allowed).toBe(false);
      expect((await store.takeToken({ ...bucket, key: 'other' })).allowed).toBe(true);
    });
  });
}
