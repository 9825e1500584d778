/**
 * The store conformance suite: the same cases for every backend. A backend is done
 * when all of them pass on it. Call `storeConformance(name, factory)` from a
 * `<backend>.test.ts` file; the factory gives a fresh, empty store and a way to move
 * its clock forward.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClaimedJob, Job } from '../../src/domain/job.js';
import { jobIdFor } from '../../src/store/redis/redis-keys.js';
import {
  type AdmitRequest,
  type AdmitResult,
  type JobStore,
  type ListFilter,
  type NewJob,
  type OwnerLimits,
  unlimitedOwner,
} from '../../src/store/store.js';

export interface StoreHarness {
  store: JobStore;
  /** Moves the store's clock forward. */
  advance(ms: number): Promise<void> | void;
  close(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreHarness>;

/** Ids route to their queue's Redis shard (any id suits SQLite), as engine-issued ids do. */
export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  const queue = overrides.queue ?? 'q';
  return {
    id: jobIdFor(queue),
    queue,
    type: 'default',
    payload: { n: 1 },
    priority: 5,
    maxAttempts: 3,
    timeoutMs: null,
    runAt: null,
    delayMs: null,
    owner: 'alice',
    projectId: null,
    parentId: null,
    ...overrides,
  };
}

export function request(
  job: Partial<NewJob> = {},
  extra: Partial<Omit<AdmitRequest, 'job'>> = {},
): AdmitRequest {
  return {
    job: newJob(job),
    limits: unlimitedOwner,
    calendar: { resetOffsetMs: 0, jitterMs: 0 },
    idempotency: null,
    ...extra,
  };
}

export async function admitOk(store: JobStore, req: AdmitRequest): Promise<AdmitResult & { job: Job }> {
  const [result] = await store.admit([req]);
  if (!result || result.kind === 'error') throw result?.error ?? new Error('no result');
  return result;
}

export async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

/** Every job `filter` lists, page by page (`limit` a page), in the order served. */
export async function pageAll(store: JobStore, filter: Omit<ListFilter, 'limit' | 'cursor'>, limit: number) {
  const seen: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list({ ...filter, limit, cursor });
    seen.push(...page.items.map((j) => j.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return seen;
}

export const limited = (limits: Partial<OwnerLimits>): OwnerLimits => ({ ...unlimitedOwner, ...limits });

/** A fresh, empty store for every test, closed after it. */
export function eachTestStore(factory: StoreFactory, use: (harness: StoreHarness) => void): void {
  let harness: StoreHarness | undefined;
  beforeEach(async () => {
    harness = await factory();
    use(harness);
  });
  afterEach(async () => {
    await harness?.close();
  });
}

export function storeConformance(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    let h!: StoreHarness;
    let store!: JobStore;
    eachTestStore(factory, (fresh) => {
      h = fresh;
      store = fresh.store;
    });

    const claimOne = async (queue = 'q', leaseMs = 1_000): Promise<ClaimedJob> => {
      const [job] = await store.claim({ queue, workerId: 'w1', limit: 1, leaseMs });
      if (!job) throw new Error('nothing claimed');
      return job;
    };

    describe('admit and read', () => {
      it('answers the view a store reads in the admission step as the separate reads would', async () => {
        await admitOk(store, request({ owner: 'bob' }));
        const [running] = await store.claim({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 60_000 });
        expect(running).toBeDefined();
        await admitOk(store, request({ owner: 'bob' }));
        const result = await admitOk(store, { ...request(), view: true });
        // Optional in the contract (SQLite reads afterwards); when given it must agree.
        if (result.view) {
          expect(result.view.position).toBe(await store.position(result.job.id));
          expect(result.view.running).toBe((await store.counts('q')).running);
          expect(result.view.usage).toEqual(await store.usage({ owner: 'alice', resetOffsetMs: 0 }));
        }
      });

      it('admits a job as queued and reads it back', async () => {
        const { job } = await admitOk(store, request({ payload: { hello: 'world' }, type: 'render' }));
        expect(job).toMatchObject({
          status: 'queued',
          type: 'render',
          payload: { hello: 'world' },
          attempts: 0,
          priority: 5,
        });
        expect(await store.get(job.id)).toEqual(job);
        expect(await store.get('missing')).toBeNull();
      });

      it('admits a batch item by item', async () => {
        const results = await store.admit([request(), request({ priority: 1 }), request()]);
        expect(results.map((r) => r.kind)).toEqual(['created', 'created', 'created']);
        expect((await store.counts('q')).queued).toBe(3);
      });

      it('schedules a job with runAt or delayMs in the future', async () => {
        const now = await store.now();
        const { job: a } = await admitOk(store, request({ runAt: now + 60_000 }));
        const { job: b } = await admitOk(store, request({ delayMs: 500 }));
        expect(a.status).toBe('scheduled');
        expect(b.status).toBe('scheduled');
        expect(b.runAt).toBe(now + 500);
        expect(await store.claim({ queue: 'q', workerId: 'w', limit: 5, leaseMs: 1000 })).toEqual([]);
      });

      it('scopes reads to an owner', async () => {
        const { job } = await admitOk(store, request({ owner: 'alice' }));
        expect(await store.get(job.id, 'bob')).toBeNull();
        expect(await store.get(job.id, 'alice')).not.toBeNull();
      });
    });

    describe('claim order', () => {
      it('claims the highest priority first, FIFO within a priority', async () => {
        const a = await admitOk(store, request({ priority: 5 }));
        const b = await admitOk(store, request({ priority: 5 }));
        const c = await admitOk(store, request({ priority: 1 }));
        const d = await admitOk(store, request({ priority: 10 }));
        const claimed = await store.claim({ queue: 'q', workerId: 'w', limit: 10, leaseMs: 1000 });
        expect(claimed.map((j) => j.id)).toEqual([c.job.id, a.job.id, b.job.id, d.job.id]);
      });

      it('claims only from the asked queue and never more than the limit', async () => {
        await admitOk(store, request({ queue: 'other' }));
        await admitOk(store, request());
        await admitOk(store, request());
        const claimed = await store.claim({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000 });
        expect(claimed).toHaveLength(1);
        expect(claimed[0]?.queue).toBe('q');
      });

      it('issues a lease: running, attempt counted, token and expiry set', async () => {
        const { job } = await admitOk(store, request());
        const now = await store.now();
        const claimed = await claimOne('q', 5_000);
        expect(claimed).toMatchObject({ id: job.id, status: 'running', attempts: 1, workerId: 'w1' });
        expect(claimed.leaseToken).toEqual(expect.any(String));
        expect(claimed.leaseExpiresAt).toBe(now + 5_000);
        expect(claimed.startedAt).toBe(now);
      });

      it('respects runAt: a due scheduled job is promoted, then claimable', async () => {
        const { job } = await admitOk(store, request({ delayMs: 1_000 }));
        expect(await store.promoteDue({ limit: 10 })).toEqual([]);
        await h.advance(1_000);
        const promoted = await store.promoteDue({ limit: 10 });
        expect(promoted.map((j) => [j.id, j.status])).toEqual([[job.id, 'queued']]);
        expect((await claimOne()).id).toBe(job.id);
      });
    });

    describe('lease fencing', () => {
      it('refuses every write with a stale token, atomically', async () => {
        await admitOk(store, request({ maxAttempts: 3 }));
        const first = await claimOne('q', 100);
        await h.advance(200);
        const reaped = await store.reapExpired({ limit: 10 });
        expect(reaped.map((j) => j.status)).toEqual(['queued']);
        const second = await claimOne('q', 1_000);
        expect(second.id).toBe(first.id);
        expect(second.leaseToken).not.toBe(first.leaseToken);
        expect(second.attempts).toBe(2);

        const stale = { id: first.id, token: first.leaseToken };
        await expectCode(store.complete({ ...stale, result: 'late' }), 'JOBGATE_ERR_LEASE_LOST');
        await expectCode(
          store.fail({ ...stale, error: { message: 'x', retryable: true }, retryDelayMs: 0 }),
          'JOBGATE_ERR_LEASE_LOST',
        );
        await expectCode(
          store.progress({ ...stale, progress: { percent: 50, stage: null, message: null } }),
          'JOBGATE_ERR_LEASE_LOST',
        );
        await expectCode(store.release(stale), 'JOBGATE_ERR_LEASE_LOST');
        const beat = await store.heartbeat({ leases: [stale], leaseMs: 1000 });
        expect(beat).toEqual({ extended: [], lost: [first.id], cancel: [] });

        const current = await store.get(first.id);
        expect(current).toMatchObject({ status: 'running', result: null, workerId: 'w1' });
        expect(current?.progress.percent).toBe(0);
        await store.complete({ id: second.id, token: second.leaseToken, result: 'ok' });
        expect(await store.get(first.id)).toMatchObject({ status: 'completed', result: 'ok' });
      });

      it('heartbeat extends the lease so the reaper leaves the job alone', async () => {
        await admitOk(store, request());
        const job = await claimOne('q', 1_000);
        await h.advance(800);
        const beat = await store.heartbeat({
          leases: [{ id: job.id, token: job.leaseToken }],
          leaseMs: 1_000,
        });
        expect(beat.extended).toEqual([job.id]);
        await h.advance(800);
        expect(await store.reapExpired({ limit: 10 })).toEqual([]);
        expect((await store.get(job.id))?.status).toBe('running');
      });

      it('writes progress with the current token', async () => {
        await admitOk(store, request());
        const job = await claimOne();
        const updated = await store.progress({
          id: job.id,
          token: job.leaseToken,
          progress: { percent: 40, stage: 'render', message: 'frame 4/10' },
        });
        expect(updated.progress).toEqual({ percent: 40, stage: 'render', message: 'frame 4/10' });
      });

      it('a job that does not exist answers not found', async () => {
        await expectCode(
          store.complete({ id: 'nope', token: 't', result: null }),
          'JOBGATE_ERR_JOB_NOT_FOUND',
        );
      });
    });

    describe('finishing', () => {
      it('completes with a result and progress 100', async () => {
        await admitOk(store, request());
        const job = await claimOne();
        const done = await store.complete({ id: job.id, token: job.leaseToken, result: { url: 'x' } });
        expect(done).toMatchObject({
          status: 'completed',
          result: { url: 'x' },
          workerId: null,
          leaseExpiresAt: null,
        });
        expect(done.progress.percent).toBe(100);
        expect(done.finishedAt).toEqual(expect.any(Number));
      });

      it('keeps each attempt: failed twice then completed shows three, with errors and durations', async () => {
        const { job } = await admitOk(store, request({ maxAttempts: 3 }));
        for (const n of [1, 2]) {
          const lease = await claimOne();
          await h.advance(100);
          await store.fail({
            id: lease.id,
            token: lease.leaseToken,
            error: { message: `boom ${n}`, retryable: true, stack: `Error: boom ${n}\n    at x` },
            retryDelayMs: 0,
          });
          await store.promoteDue({ limit: 10 });
        }
        const last = await claimOne();
        await h.advance(50);
        await store.complete({ id: last.id, token: last.leaseToken, result: null });
        const history = (await store.get(job.id))?.attemptHistory;
        expect(history?.dropped).toBe(0);
        expect(history?.items.map((a) => [a.attempt, a.outcome, a.error?.message ?? null])).toEqual([
          [1, 'failed', 'boom 1'],
          [2, 'failed', 'boom 2'],
          [3, 'completed', null],
        ]);
        expect(history?.items[0]).toMatchObject({
          workerId: 'w1',
          error: { stack: 'Error: boom 1\n    at x' },
        });
        for (const attempt of history!.items)
          expect(attempt.endedAt).toBeGreaterThanOrEqual(attempt.startedAt);
        expect(history!.items[0]!.endedAt - history!.items[0]!.startedAt).toBeGreaterThanOrEqual(100);
        expect(history!.items[2]!.endedAt - history!.items[2]!.startedAt).toBeGreaterThanOrEqual(50);
        expect(history!.items[0]!.runAt).toBe(job.runAt);
      });

      it('records a reaped lease as lease_lost and a release as released, the last 20 kept', async () => {
        const { job } = await admitOk(store, request({ maxAttempts: 5 }));
        await claimOne('q', 100);
        await h.advance(200);
        await store.reapExpired({ limit: 10 });
        for (let i = 0; i < 21; i++) {
          const lease = await claimOne();
          await store.release({ id: lease.id, token: lease.leaseToken });
        }
        const history = (await store.get(job.id))?.attemptHistory;
        expect(history?.items).toHaveLength(20);
        expect(history?.dropped).toBe(2);
        expect(new Set(history?.items.map((a) => a.outcome))).toEqual(new Set(['released']));
        const reaped = await admitOk(store, request({ maxAttempts: 1, queue: 'r' }));
        await claimOne('r', 100);
        await h.advance(200);
        await store.reapExpired({ limit: 10 });
        expect((await store.get(reaped.job.id))?.attemptHistory?.items.map((a) => a.outcome)).toEqual([
          'lease_lost',
        ]);
      });

      it('fails into a scheduled retry while attempts remain, then fails for good', async () => {
        await admitOk(store, request({ maxAttempts: 2 }));
        const first = await claimOne();
        const retried = await store.fail({
          id: first.id,
          token: first.leaseToken,
          error: { message: 'boom', retryable: true },
          retryDelayMs: 500,
        });
        expect(retried).toMatchObject({ status: 'scheduled', error: { message: 'boom', retryable: true } });
        expect(retried.runAt).toBe((await store.now()) + 500);
        await h.advance(500);
        await store.promoteDue({ limit: 10 });
        const second = await claimOne();
        expect(second.attempts).toBe(2);
        const failed = await store.fail({
          id: second.id,
          token: second.leaseToken,
          error: { message: 'boom2', retryable: true },
          retryDelayMs: 500,
        });
        // Failed for good: the error no longer says Jobgate will retry it, though the worker did.
        const final = { status: 'failed', attempts: 2, error: { message: 'boom2', retryable: false } };
        expect(failed).toMatchObject(final);
        expect(await store.get(second.id)).toMatchObject(final);
      });

      it('a non-retryable error fails at once', async () => {
        await admitOk(store, request({ maxAttempts: 5 }));
        const job = await claimOne();
        const failed = await store.fail({
          id: job.id,
          token: job.leaseToken,
          error: { message: 'bad input', retryable: false },
          retryDelayMs: 10,
        });
        expect(failed.status).toBe('failed');
      });

      it('completes and claims the next job in one step', async () => {
        await admitOk(store, request({ payload: 'first' }));
        const second = await admitOk(store, request({ payload: 'second' }));
        const first = await claimOne();
        const next = { queue: 'q', workerId: 'w1', limit: 2, leaseMs: 1_000 };
        const { job, next: claimed } = await store.completeAndClaim({
          id: first.id,
          token: first.leaseToken,
          result: 'ok',
          next,
        });
        expect(job).toMatchObject({ id: first.id, status: 'completed', result: 'ok' });
        expect(claimed.map((j) => [j.id, j.status, j.workerId])).toEqual([[second.job.id, 'running', 'w1']]);
        expect(claimed[0]?.leaseToken).toEqual(expect.any(String));
        // A stale token completes nothing and claims nothing.
        await admitOk(store, request());
        await expectCode(
          store.completeAndClaim({ id: first.id, token: first.leaseToken, result: 'late', next }),
          'JOBGATE_ERR_LEASE_LOST',
        );
        expect((await store.counts('q')).queued).toBe(1);
      });

      it('completing with the job as claimed returns the job exactly as a read does', async () => {
        const cancelled = await admitOk(store, request({ payload: { n: 1 } }));
        await admitOk(store, request({ payload: { n: 2 } }));
        const first = await claimOne();
        // The run changed it since the claim: progress, and a cancel request nobody acted on.
        await store.progress({
          id: first.id,
          token: first.leaseToken,
          progress: { percent: 40, stage: 'render', message: 'frame 4' },
        });
        await store.cancel({ id: cancelled.job.id });
        const next = { queue: 'q', workerId: 'w1', limit: 1, leaseMs: 1_000 };
        const { job, next: claimed } = await store.completeAndClaim({
          id: first.id,
          token: first.leaseToken,
          result: { frames: [1, 2], at: new Date(0) },
          next,
          known: first,
        });
        expect(job).toEqual(await store.get(first.id));
        expect(job).toMatchObject({
          status: 'completed',
          result: { frames: [1, 2], at: new Date(0).toISOString() },
          progress: { percent: 100, stage: 'render', message: 'frame 4' },
          cancelRequested: true,
          workerId: null,
        });
        expect(job).not.toHaveProperty('leaseToken');
        // The next claim in the same step is whole too.
        const [second] = claimed;
        expect(second).toEqual({ ...(await store.get(second!.id)), leaseToken: second!.leaseToken });
      });

      it('release gives the job back without spending the attempt', async () => {
        await admitOk(store, request());
        const job = await claimOne();
        const released = await store.release({ id: job.id, token: job.leaseToken });
        expect(released).toMatchObject({ status: 'queued', attempts: 0, workerId: null });
        expect((await claimOne()).attempts).toBe(1);
      });
    });

    describe('cancel and retry', () => {
      it('cancels queued and scheduled jobs at once', async () => {
        const { job: queued } = await admitOk(store, request());
        const { job: scheduled } = await admitOk(store, request({ delayMs: 10_000 }));
        expect(await store.cancel({ id: queued.id })).toMatchObject({
          outcome: 'cancelled',
          job: { status: 'cancelled' },
        });
        expect(await store.cancel({ id: scheduled.id })).toMatchObject({
          outcome: 'cancelled',
          job: { status: 'cancelled' },
        });
        expect(await store.claim({ queue: 'q', workerId: 'w', limit: 5, leaseMs: 1000 })).toEqual([]);
      });

      it('asks a running job to cancel through heartbeat, and the worker ends it cancelled', async () => {
        await admitOk(store, request());
        const job = await claimOne();
        expect(await store.cancel({ id: job.id })).toMatchObject({
          outcome: 'requested',
          job: { status: 'running', cancelRequested: true },
        });
        const beat = await store.heartbeat({
          leases: [{ id: job.id, token: job.leaseToken }],
          leaseMs: 1000,
        });
        expect(beat.cancel).toEqual([job.id]);
        const ended = await store.fail({
          id: job.id,
          token: job.leaseToken,
          error: { message: 'Cancelled', retryable: false },
          retryDelayMs: 0,
        });
        expect(ended.status).toBe('cancelled');
      });

      it('promotes a scheduled job to queued now, and refuses any other status', async () => {
        const { job: later } = await admitOk(store, request({ delayMs: 3_600_000, owner: 'bob' }));
        const { job: queued } = await admitOk(store, request());
        await expectCode(store.promote({ id: later.id, owner: 'alice' }), 'JOBGATE_ERR_JOB_NOT_FOUND');
        const promoted = await store.promote({ id: later.id, owner: 'bob' });
        expect(promoted).toMatchObject({ status: 'queued', runAt: await store.now() });
        expect(await store.counts('q')).toMatchObject({ queued: 2, scheduled: 0 });
        await expectCode(store.promote({ id: queued.id }), 'JOBGATE_ERR_ILLEGAL_TRANSITION');
        const claimed = await store.claim({ queue: 'q', workerId: 'w', limit: 5, leaseMs: 1000 });
        expect(claimed.map((j) => j.id).sort()).toEqual([later.id, queued.id].sort());
      });

      it('deletes a finished job with its index entries, and refuses an unfinished one', async () => {
        await admitOk(store, request());
        const { job: waiting } = await admitOk(store, request({ delayMs: 10_000 }));
        const job = await claimOne();
        await store.complete({ id: job.id, token: job.leaseToken, result: { ok: 1 } });
        await expectCode(store.deleteJob({ id: job.id, owner: 'bob' }), 'JOBGATE_ERR_JOB_NOT_FOUND');
        expect(await store.deleteJob({ id: job.id })).toMatchObject({ id: job.id, status: 'completed' });
        expect(await store.get(job.id)).toBeNull();
        expect(await store.counts('q')).toMatchObject({ completed: 0, scheduled: 1 });
        expect((await store.list({ queue: 'q', limit: 10 })).items.map((j) => j.id)).toEqual([waiting.id]);
        await expectCode(store.deleteJob({ id: job.id }), 'JOBGATE_ERR_JOB_NOT_FOUND');
        await expectCode(store.deleteJob({ id: waiting.id }), 'JOBGATE_ERR_ILLEGAL_TRANSITION');
      });

      it('refuses to cancel a finished job', async () => {
        await admitOk(store, request());
        const job = await claimOne();
        await store.complete({ id: job.id, token: job.leaseToken, result: null });
        await expectCode(store.cancel({ id: job.id }), 'JOBGATE_ERR_ILLEGAL_TRANSITION');
      });

      it('retries a failed job with a fresh attempt budget', async () => {
        await admitOk(store, request({ maxAttempts: 1 }));
        const job = await claimOne();
        await store.fail({
          id: job.id,
          token: job.leaseToken,
          error: { message: 'x', retryable: true },
          retryDelayMs: 0,
        });
        const retried = await store.retry({ id: job.id });
        expect(retried).toMatchObject({ status: 'queued', attempts: 0, finishedAt: null });
        expect((await claimOne()).id).toBe(job.id);
        await expectCode(store.retry({ id: job.id }), 'JOBGATE_ERR_ILLEGAL_TRANSITION');
      });

      it('hides other owners’ jobs from cancel and retry', async () => {
        const { job } = await admitOk(store, request({ owner: 'alice' }));
        await expectCode(store.cancel({ id: job.id, owner: 'bob' }), 'JOBGATE_ERR_JOB_NOT_FOUND');
        await expectCode(store.retry({ id: job.id, owner: 'bob' }), 'JOBGATE_ERR_JOB_NOT_FOUND');
      });
    });

    describe('reaper and purge', () => {
      it('requeues an expired lease, or fails it when attempts are spent', async () => {
        await admitOk(store, request({ maxAttempts: 1, payload: 'one-shot' }));
        await admitOk(store, request({ maxAttempts: 3, payload: 'retryable' }));
        const jobs = await store.claim({ queue: 'q', workerId: 'w', limit: 2, leaseMs: 100 });
        expect(jobs).toHaveLength(2);
        await h.advance(150);
        const reaped = await store.reapExpired({ limit: 10 });
        const byPayload = Object.fromEntries(reaped.map((j) => [j.payload as string, j.status]));
        expect(byPayload).toEqual({ 'one-shot': 'failed', retryable: 'queued' });
        expect(await store.reapExpired({ limit: 10 })).toEqual([]);
      });

      it('purges finished jobs past retention and keeps the rest', async () => {
        await admitOk(store, request());
        await admitOk(store, request());
        const a = await claimOne();
        await store.complete({ id: a.id, token: a.leaseToken, result: null });
        await h.advance(1_000);
        const now = await store.now();
        expect(await store.purge({ completedBefore: now - 2_000, failedBefore: now, limit: 10 })).toBe(0);
        expect(await store.purge({ completedBefore: now, failedBefore: now, limit: 10 })).toBe(1);
        expect(await store.get(a.id)).toBeNull();
        const counts = await store.counts('q');
        expect(counts).toMatchObject({ completed: 0, queued: 1 });
      });
    });

    describe('list and counts', () => {
      it('finds jobs by an id prefix, the short id a list shows', async () => {
        const jobs = [];
        for (let i = 0; i < 4; i++) jobs.push((await admitOk(store, request())).job);
        await admitOk(store, request({ queue: 'other' }));
        const target = jobs[2]!;
        const done = await claimOne();
        await store.complete({ id: done.id, token: done.leaseToken, result: null });
        const ids = async (idPrefix: string, more: Partial<ListFilter> = {}) =>
          (await store.list({ idPrefix, limit: 50, ...more })).items.map((job) => job.id);
        expect(await ids(target.id.slice(0, 8))).toEqual([target.id]);
        expect(await ids(target.id)).toEqual([target.id]);
        expect(await ids(target.id.slice(0, 8), { queue: 'q', status: 'queued' })).toEqual([target.id]);
        expect(await ids(target.id.slice(0, 8), { queue: 'other' })).toEqual([]);
        expect(await ids('zzzz')).toEqual([]);
        // A short prefix pages like any filter.
        const short = target.id.slice(0, 1);
        const all = (await store.list({ limit: 50 })).items.filter((job) => job.id.startsWith(short));
        expect(await pageAll(store, { idPrefix: short }, 1)).toEqual(all.map((job) => job.id));
      });

      it('tells when the oldest queued job became due, none once it is claimed', async () => {
        expect(await store.oldestQueuedAt('q')).toBeNull();
        const first = (await admitOk(store, request())).job;
        await h.advance(500);
        const second = (await admitOk(store, request())).job;
        await admitOk(store, request({ queue: 'other' }));
        expect(await store.oldestQueuedAt('q')).toBe(first.runAt);
        const claimed = await claimOne();
        expect(claimed.id).toBe(first.id);
        expect(await store.oldestQueuedAt('q')).toBe(second.runAt);
        await claimOne();
        expect(await store.oldestQueuedAt('q')).toBeNull();
      });

      it('filters and pages newest first with a cursor', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++)
          ids.push((await admitOk(store, request({ type: i % 2 ? 'odd' : 'even' }))).job.id);
        await admitOk(store, request({ queue: 'other' }));
        expect(await pageAll(store, { queue: 'q' }, 2)).toEqual([...ids].reverse());
        const odd = await store.list({ type: 'odd', limit: 10 });
        expect(odd.items).toHaveLength(2);
        const queued = await store.list({ status: 'queued', owner: 'alice', limit: 10 });
        expect(queued.items).toHaveLength(6);
        await expectCode(store.list({ limit: 10, cursor: '!!' }), 'JOBGATE_ERR_BAD_REQUEST');
      });

      it("pages an owner's jobs newest first across states, batches and removals", async () => {
        // More than one read window of a long list (Redis reads 200 at a time), in
        // batches that interleave two owners, some finished, some purged, some cleared.
        const mine: string[] = [];
        for (let round = 0; round < 6; round++) {
          const batch = [
            ...Array.from({ length: 40 }, () => request({ owner: 'carol' })),
            ...Array.from({ length: 5 }, () => request({ owner: 'dave' })),
          ];
          for (const result of await store.admit(batch)) {
            if (result.kind === 'error') throw result.error;
            if (result.job.owner === 'carol') mine.push(result.job.id);
          }
        }
        const claimed = await store.claim({ queue: 'q', workerId: 'w', limit: 30, leaseMs: 60_000 });
        for (const job of claimed.slice(0, 20))
          await store.complete({ id: job.id, token: job.leaseToken, result: null });
        await h.advance(1_000);
        const now = await store.now();
        const purged = await store.purge({ completedBefore: now, failedBefore: now, limit: 5 });
        expect(purged).toBe(5);
        await store.clearQueue({ queue: 'q', limit: 7 });
        const left = new Set<string>();
        for (const id of mine) if (await store.get(id)) left.add(id);
        expect(left.size).toBeLessThan(mine.length);
        const pageThrough = (limit: number) => pageAll(store, { owner: 'carol' }, limit);
        const expected = mine.filter((id) => left.has(id)).reverse();
        expect(await pageThrough(7)).toEqual(expected);
        expect(await pageThrough(500)).toEqual(expected);
      });

      it('pages running jobs newest first, whatever their leases, among the other states', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) ids.push((await admitOk(store, request({ payload: i }))).job.id);
        const claimed = await store.claim({ queue: 'q', workerId: 'w', limit: 4, leaseMs: 1_000 });
        await h.advance(10);
        // Extending the oldest jobs' leases reorders the leases, not the list.
        await store.heartbeat({
          leases: claimed.slice(0, 2).map((j) => ({ id: j.id, token: j.leaseToken })),
          leaseMs: 5_000,
        });
        await store.complete({ id: claimed[3]!.id, token: claimed[3]!.leaseToken, result: null });
        const pages = (filter: { status?: 'running' }) => pageAll(store, { queue: 'q', ...filter }, 2);
        expect(await pages({ status: 'running' })).toEqual(ids.slice(0, 3).reverse());
        expect(await pages({})).toEqual([...ids].reverse());
        // The leases still expire in their own order: only the one not extended is reaped.
        await h.advance(2_000);
        expect((await store.reapExpired({ limit: 10 })).map((j) => j.id)).toEqual([ids[2]]);
        expect((await store.counts('q')).running).toBe(2);
      });

      it('pages queued jobs newest first across owners, projects and priorities', async () => {
        // Interleaved groups (two owners, two projects) and priorities, admitted one at a
        // time and in a batch; some claimed (in fair order, from several groups), one
        // cancelled: the queued listing and the queue's listing read in creation order.
        const shapes = (i: number) => ({
          owner: i % 3 === 0 ? 'bob' : 'alice',
          projectId: i % 4 === 1 ? 'p1' : null,
          priority: [1, 5, 9][i % 3]!,
          type: i % 2 ? 'odd' : 'even',
        });
        const ids: string[] = [];
        for (let i = 0; i < 12; i++) ids.push((await admitOk(store, request(shapes(i)))).job.id);
        // A batch's jobs are created in its order for one owner (Redis admits each owner's
        // part of a batch in its own call).
        const batch = await store.admit(
          Array.from({ length: 18 }, (_, i) => request({ ...shapes(12 + i), owner: 'alice' })),
        );
        for (const result of batch) {
          if (result.kind === 'error') throw result.error;
          ids.push(result.job.id);
        }
        const claimed = await store.claim({ queue: 'q', workerId: 'w', limit: 5, leaseMs: 60_000 });
        const gone = new Set(claimed.map((j) => j.id));
        await store.cancel({ id: ids[20]! });
        gone.add(ids[20]!);
        const pageThrough = (filter: { status?: 'queued'; type?: string }, limit: number) =>
          pageAll(store, { queue: 'q', ...filter }, limit);
        const queued = ids.filter((id) => !gone.has(id)).reverse();
        expect(await pageThrough({ status: 'queued' }, 4)).toEqual(queued);
        expect(await pageThrough({ status: 'queued' }, 100)).toEqual(queued);
        const odd = new Set(ids.filter((_, i) => i % 2));
        expect(await pageThrough({ status: 'queued', type: 'odd' }, 3)).toEqual(
          queued.filter((id) => odd.has(id)),
        );
        expect(await pageThrough({}, 4)).toEqual([...ids].reverse());
      });

      it('pages queued jobs newest first across queues, runs of one queue and another', async () => {
        // Two queues (two Redis shards): pages where one queue serves nothing, then both.
        const queues = ['q', 'far'];
        const ids: string[] = [];
        for (const [queue, n] of [
          [0, 5],
          [1, 5],
          [0, 4],
          [1, 1],
        ] as const)
          for (let i = 0; i < n; i++) {
            ids.push((await admitOk(store, request({ queue: queues[queue], priority: 1 + (i % 2) }))).job.id);
            // Creation order across shards is by the clock (a shard's own order within a tick).
            await h.advance(1);
          }
        for (const limit of [3, 4, 50])
          expect(await pageAll(store, { status: 'queued' }, limit)).toEqual([...ids].reverse());
      });

      it('keeps the queued count and the queued listing in step through every move', async () => {
        const expectQueued = async (n: number) => {
          expect((await store.counts('q')).queued).toBe(n);
          expect((await store.list({ queue: 'q', status: 'queued', limit: 100 })).items).toHaveLength(n);
        };
        const batch = await store.admit([
          request(),
          request({ owner: 'bob' }),
          request({ projectId: 'p1' }),
          request({ maxAttempts: 1 }),
        ]);
        const ids = batch.map((r) => (r.kind === 'error' ? '' : r.job.id));
        await admitOk(store, request({ delayMs: 500 }));
        await admitOk(store, request());
        await expectQueued(5);
        const [a, b] = await store.claim({ queue: 'q', workerId: 'w', limit: 2, leaseMs: 100 });
        await expectQueued(3);
        await store.release({ id: a!.id, token: a!.leaseToken });
        await expectQueued(4);
        await store.cancel({ id: ids[3]! === a!.id || ids[3]! === b!.id ? ids[2]! : ids[3]! });
        await expectQueued(3);
        await h.advance(500);
        await store.reapExpired({ limit: 10 });
        await store.promoteDue({ limit: 10 });
        await expectQueued(5);
        const all = await store.claim({ queue: 'q', workerId: 'w', limit: 10, leaseMs: 60_000 });
        expect(all).toHaveLength(5);
        await expectQueued(0);
        await store.fail({
          id: all[0]!.id,
          token: all[0]!.leaseToken,
          error: { message: 'x', retryable: false },
          retryDelayMs: 0,
        });
        await store.retry({ id: all[0]!.id });
        await admitOk(store, request({ owner: 'carol' }));
        await expectQueued(2);
        await store.clearQueue({ queue: 'q', limit: 100 });
        await expectQueued(0);
        await admitOk(store, request());
        await expectQueued(1);
      });

      it('counts jobs per state and lists queues', async () => {
        await admitOk(store, request());
        await admitOk(store, request({ delayMs: 1000 }));
        await admitOk(store, request({ queue: 'b' }));
        await claimOne();
        expect(await store.counts('q')).toMatchObject({ queued: 0, scheduled: 1, running: 1 });
        expect(await store.counts()).toMatchObject({ queued: 1, scheduled: 1, running: 1 });
        expect(await store.queues()).toEqual(expect.arrayContaining(['q', 'b']));
      });
    });

    describe('idempotency', () => {
      const withKey = (key: string, fingerprint: string) => ({
        idempotency: { key, fingerprint, ttlMs: 60_000 },
      });

      it('returns the original job for the same key and body, conflicts on another body', async () => {
        const first = await admitOk(store, request({}, withKey('k1', 'f1')));
        const again = await admitOk(store, request({}, withKey('k1', 'f1')));
        expect(again.kind).toBe('duplicate');
        expect(again.job.id).toBe(first.job.id);
        const [conflict] = await store.admit([request({}, withKey('k1', 'f2'))]);
        expect(conflict).toMatchObject({
          kind: 'error',
          error: { code: 'JOBGATE_ERR_IDEMPOTENCY_CONFLICT' },
        });
        expect((await store.counts('q')).queued).toBe(1);
      });

      it('scopes keys per owner and forgets them after the ttl', async () => {
        const a = await admitOk(store, request({ owner: 'alice' }, withKey('k', 'f')));
        const b = await admitOk(store, request({ owner: 'bob' }, withKey('k', 'f')));
        expect(b.job.id).not.toBe(a.job.id);
        await h.advance(60_001);
        const c = await admitOk(store, request({ owner: 'alice' }, withKey('k', 'f')));
        expect(c.kind).toBe('created');
      });
    });

    describe('queue controls', () => {
      it('pauses and resumes a queue: admits while paused, hands nothing out', async () => {
        await store.configureQueue({ queue: 'q', maxWorkers: 3, maxQueued: 10 });
        await store.setPaused({ queue: 'q', paused: true });
        expect(await store.queueState('q')).toEqual({
          queue: 'q',
          maxWorkers: 3,
          maxQueued: 10,
          paused: true,
        });
        await admitOk(store, request());
        expect(await store.claim({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000 })).toEqual([]);
        await store.setPaused({ queue: 'q', paused: false });
        expect(await store.claim({ queue: 'q', workerId: 'w', limit: 1, leaseMs: 1000 })).toHaveLength(1);
        expect(await store.queueState('never-seen')).toEqual({
          queue: 'never-seen',
          maxWorkers: null,
          maxQueued: null,
          paused: false,
        });
      });

      it('clears queued, scheduled and awaiting jobs and leaves running and finished ones', async () => {
        await admitOk(store, request());
        const running = await claimOne();
        await admitOk(store, request());
        await admitOk(store, request({ owner: 'bob' }));
        await admitOk(store, request({ delayMs: 5_000 }));
        await admitOk(store, request({ queue: 'other' }));
        const cleared = await store.clearQueue({ queue: 'q', limit: 1_000 });
        expect(cleared).toHaveLength(3);
        expect(await store.counts('q')).toMatchObject({ queued: 0, scheduled: 0, running: 1 });
        expect(await store.get(running.id)).not.toBeNull();
        expect((await store.counts('other')).queued).toBe(1);
        // The ready set was cleared with them: new work is claimable, old work is gone.
        const fresh = await admitOk(store, request());
        expect((await claimOne()).id).toBe(fresh.job.id);
      });

      it('reports finished jobs since a time, newest first', async () => {
        await admitOk(store, request());
        await admitOk(store, request({ maxAttempts: 1 }));
        const a = await claimOne();
        await h.advance(100);
        await store.complete({ id: a.id, token: a.leaseToken, result: null });
        const b = await claimOne();
        await h.advance(100);
        await store.fail({
          id: b.id,
          token: b.leaseToken,
          error: { message: 'x', retryable: false },
          retryDelayMs: null,
        });
        const now = await store.now();
        const samples = await store.finishedSince({ queue: 'q', since: now - 150, limit: 10 });
        expect(samples.map((x) => x.status)).toEqual(['failed', 'completed']);
        expect(samples[1]!.finishedAt - samples[1]!.startedAt!).toBe(100);
        expect(await store.finishedSince({ queue: 'q', since: now - 50, limit: 10 })).toHaveLength(1);
      });
    });

    describe('worker registry', () => {
      const worker = {
        id: 'w-1',
        queues: ['render', 'tts'],
        concurrency: 2,
        labels: { gpu: 'a100' },
        version: '1.2.3',
        state: 'initializing' as const,
        running: 0,
        startedAt: 1,
      };

      it('registers, touches, lists and removes workers', async () => {
        const now = await store.now();
        expect(await store.registerWorker(worker)).toEqual({ ...worker, lastSeenAt: now });
        await h.advance(500);
        const touched = await store.touchWorker({ id: 'w-1', state: 'running', running: 2 });
        expect(touched).toMatchObject({
          state: 'running',
          running: 2,
          lastSeenAt: now + 500,
          labels: { gpu: 'a100' },
        });
        expect(await store.touchWorker({ id: 'nobody', state: 'idle', running: 0 })).toBeNull();
        expect((await store.listWorkers({ forgetAfterMs: 60_000 })).map((w) => w.id)).toEqual(['w-1']);
        expect(await store.removeWorker('w-1')).toBe(true);
        expect(await store.removeWorker('w-1')).toBe(false);
        expect(await store.listWorkers({ forgetAfterMs: 60_000 })).toEqual([]);
      });

      it('forgets workers unseen for too long', async () => {
        await store.registerWorker(worker);
        await store.registerWorker({ ...worker, id: 'w-2' });
        await h.advance(1_000);
        await store.touchWorker({ id: 'w-2', state: 'idle', running: 0 });
        expect((await store.listWorkers({ forgetAfterMs: 500 })).map((w) => w.id)).toEqual(['w-2']);
      });
    });
  });
}
