/** The remote worker protocol over HTTP (app.inject): register, lease, heartbeat, outcomes, roles. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../../src/engine/principal.js';
import { waitFor } from '../helpers/wait-for.js';
import { adminKey, createWorkerTestApp, type WorkerTestApp } from './worker-test-app.js';

describe('remote worker protocol', () => {
  let t: WorkerTestApp;
  beforeEach(async () => {
    t = await createWorkerTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  const register = async (body: Record<string, unknown> = { queues: ['render'] }) => {
    const answer = await t.call('POST', '/api/v1/workers', t.workerKey, body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body.worker.id as string;
  };
  const submit = async (queue = 'render', extra: Record<string, unknown> = {}) =>
    (await t.engine.submit({ queue, payload: { n: 1 }, ...extra }, systemPrincipal)).job.id;
  const lease = (id: string, body: Record<string, unknown> = { waitMs: 0 }) =>
    t.call('POST', `/api/v1/workers/${id}/lease`, t.workerKey, body);

  it('registers a worker and answers with its id and the timings to keep', async () => {
    const answer = await t.call('POST', '/api/v1/workers', t.workerKey, {
      queues: ['render', 'encode'],
      concurrency: 2,
      labels: { gpu: 'a100' },
      version: '1.2.3',
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({
      worker: { queues: ['render', 'encode'], concurrency: 2, labels: { gpu: 'a100' }, state: 'ready' },
      leaseMs: 1_000,
      maxWaitMs: 30_000,
    });
    expect(answer.body.heartbeatMs).toBeLessThan(answer.body.deadAfterMs);
    const listed = await t.call('GET', '/api/v1/workers?queue=encode', adminKey);
    expect(listed.body.items.map((w: { id: string }) => w.id)).toEqual([answer.body.worker.id]);
  });

  it('runs a job through lease, progress and complete with the lease token', async () => {
    const worker = await register();
    const jobId = await submit();
    const leased = await lease(worker, { max: 5, waitMs: 0 });
    expect(leased.status).toBe(200);
    expect(leased.body.jobs).toHaveLength(1);
    const [job] = leased.body.jobs;
    expect(job).toMatchObject({
      id: jobId,
      status: 'running',
      payload: { n: 1 },
      attempts: 1,
      workerId: worker,
    });
    const base = `/api/v1/workers/${worker}/jobs/${jobId}`;
    const progress = await t.call('POST', `${base}/progress`, t.workerKey, {
      token: job.leaseToken,
      percent: 40,
      stage: 'render',
    });
    expect(progress.body).toEqual({ id: jobId, status: 'running', cancelRequested: false });
    expect((await t.engine.get(jobId, systemPrincipal)).progress).toEqual({
      percent: 40,
      stage: 'render',
      message: null,
    });
    const done = await t.call('POST', `${base}/complete`, t.workerKey, {
      token: job.leaseToken,
      result: { ok: 1 },
    });
    expect(done.body.status).toBe('completed');
    expect((await t.engine.get(jobId, systemPrincipal)).result).toEqual({ ok: 1 });
    const late = await t.call('POST', `${base}/complete`, t.workerKey, { token: job.leaseToken, result: 2 });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('JOBGATE_ERR_LEASE_LOST');
  });

  it('waits for work and answers as soon as a job arrives (long-poll)', async () => {
    const worker = await register();
    const started = Date.now();
    const empty = await lease(worker, { waitMs: 150 });
    expect(empty.body.jobs).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    const pending = lease(worker, { waitMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const jobId = await submit();
    const answer = await pending;
    expect(answer.body.jobs.map((j: { id: string }) => j.id)).toEqual([jobId]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('leases only what the capacity rules allow (queue cap) and honours a paused queue', async () => {
    await t.engine.configureQueue({ queue: 'capped', maxWorkers: 1, maxQueued: null });
    const worker = await register({ queues: ['capped'], concurrency: 5 });
    for (let i = 0; i < 3; i++) await submit('capped');
    expect((await lease(worker, { max: 5, waitMs: 0 })).body.jobs).toHaveLength(1);
    expect((await lease(worker, { max: 5, waitMs: 0 })).body.jobs).toHaveLength(0);
    await t.store.setPaused({ queue: 'capped', paused: true });
    await t.engine.configureQueue({ queue: 'capped', maxWorkers: null, maxQueued: null });
    expect((await lease(worker, { max: 5, waitMs: 0 })).body.jobs).toHaveLength(0);
  });

  it('fails with a retryable flag: retried while attempts remain, failed at once when not retryable', async () => {
    const worker = await register();
    const retried = await submit('render', { maxAttempts: 3 });
    let [job] = (await lease(worker)).body.jobs;
    let answer = await t.call('POST', `/api/v1/workers/${worker}/jobs/${retried}/fail`, t.workerKey, {
      token: job.leaseToken,
      message: 'GPU out of memory',
    });
    expect(answer.body.status).toBe('scheduled');
    await waitFor(async () => (await t.engine.get(retried, systemPrincipal)).status === 'queued');
    [job] = (await lease(worker)).body.jobs;
    expect(job.attempts).toBe(2);
    answer = await t.call('POST', `/api/v1/workers/${worker}/jobs/${retried}/fail`, t.workerKey, {
      token: job.leaseToken,
      message: 'bad input',
      retryable: false,
    });
    expect(answer.body.status).toBe('failed');
    const failed = await t.engine.get(retried, systemPrincipal);
    expect(failed.error).toMatchObject({ message: 'bad input', retryable: false });
  });

  it('heartbeats extend leases and answer with the jobs to cancel and the leases lost', async () => {
    const worker = await register({ queues: ['render'], concurrency: 2 });
    const a = await submit();
    const b = await submit();
    const jobs = (await lease(worker, { max: 2, waitMs: 0 })).body.jobs as Array<{
      id: string;
      leaseToken: string;
    }>;
    expect(jobs).toHaveLength(2);
    await t.engine.cancel(a, systemPrincipal);
    const leases = jobs.map((job) => ({ id: job.id, token: job.leaseToken }));
    const beat = await t.call('POST', `/api/v1/workers/${worker}/heartbeat`, t.workerKey, {
      leases: [...leases, { id: b, token: 'stale-token' }],
    });
    expect(beat.status).toBe(200);
    expect(beat.body.extended.sort()).toEqual([a, b].sort());
    expect(beat.body.cancel).toEqual([a]);
    expect(beat.body.lost).toEqual([b]);
    // Past the first lease's end, heartbeats kept the job running.
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await t.call('POST', `/api/v1/workers/${worker}/heartbeat`, t.workerKey, { leases });
    }
    expect((await t.engine.get(b, systemPrincipal)).status).toBe('running');
    const cancelled = await t.call('POST', `/api/v1/workers/${worker}/jobs/${a}/fail`, t.workerKey, {
      token: leases[0]!.id === a ? leases[0]!.token : leases[1]!.token,
      message: 'Cancelled',
      retryable: false,
    });
    expect(cancelled.body.status).toBe('cancelled');
  });

  it('shows a silent worker dead, and its job returns to the queue when the lease expires', async () => {
    await t.close();
    t = await createWorkerTestApp({
      engine: { leaseMs: 300 },
      registry: { deadAfterMs: 300, heartbeatMs: 100 },
    });
    const worker = await register();
    const jobId = await submit();
    expect((await lease(worker)).body.jobs).toHaveLength(1);
    await waitFor(async () => (await t.engine.get(jobId, systemPrincipal)).status === 'queued', {
      message: 'the job requeued after its lease expired',
    });
    const listed = await t.call('GET', '/api/v1/workers', adminKey);
    expect(listed.body.items).toEqual([expect.objectContaining({ id: worker, state: 'dead' })]);
    const other = await register();
    const [again] = (await lease(other)).body.jobs;
    expect(again).toMatchObject({ id: jobId, attempts: 2 });
  });

  it('ends a waiting lease request with no jobs when the worker drains, and forgets it on deregister', async () => {
    const worker = await register();
    const started = Date.now();
    const pending = lease(worker, { waitMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const beat = await t.call('POST', `/api/v1/workers/${worker}/heartbeat`, t.workerKey, {
      leases: [],
      state: 'draining',
    });
    expect(beat.status).toBe(200);
    expect((await pending).body.jobs).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2_000);
    const listed = await t.call('GET', '/api/v1/workers', adminKey);
    expect(listed.body.items[0].state).toBe('draining');
    expect((await t.call('DELETE', `/api/v1/workers/${worker}`, t.workerKey)).status).toBe(204);
    const gone = await t.call('POST', `/api/v1/workers/${worker}/heartbeat`, t.workerKey, { leases: [] });
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('JOBGATE_ERR_WORKER_NOT_FOUND');
    expect((await lease(worker)).body.error.code).toBe('JOBGATE_ERR_WORKER_NOT_FOUND');
  });

  it('releases a job unrun: back to queued, the attempt not counted', async () => {
    const worker = await register();
    const jobId = await submit();
    const [job] = (await lease(worker)).body.jobs;
    const answer = await t.call('POST', `/api/v1/workers/${worker}/jobs/${jobId}/release`, t.workerKey, {
      token: job.leaseToken,
    });
    expect(answer.body.status).toBe('queued');
    expect((await t.engine.get(jobId, systemPrincipal)).attempts).toBe(0);
  });

  it('keeps roles apart: tenants cannot work, workers cannot submit or list workers', async () => {
    expect((await t.call('POST', '/api/v1/workers', t.tenantKey, { queues: ['render'] })).status).toBe(403);
    expect((await t.call('POST', '/api/v1/jobs', t.workerKey, { queue: 'render' })).status).toBe(403);
    expect((await t.call('GET', '/api/v1/workers', t.workerKey)).status).toBe(403);
    expect((await t.call('POST', '/api/v1/workers', 'jg_nope', { queues: ['render'] })).status).toBe(401);
    expect((await t.call('POST', '/api/v1/workers', adminKey, { queues: ['render'] })).status).toBe(201);
  });

  it('refuses bad input with a 400 and a validation error', async () => {
    const worker = await register();
    const bad = [
      ['/api/v1/workers', { queues: [] }],
      ['/api/v1/workers', { queues: ['render'], concurrency: 0 }],
      ['/api/v1/workers', { queues: ['bad queue'] }],
      ['/api/v1/workers', { queues: ['render'], extra: true }],
      ['/api/v1/workers', { queues: ['render'], labels: { k: 1 } }],
      [`/api/v1/workers/${worker}/lease`, { max: 0 }],
      [`/api/v1/workers/${worker}/lease`, { waitMs: 60_000 }],
      [`/api/v1/workers/${worker}/heartbeat`, { leases: [{ id: 'x' }] }],
      [`/api/v1/workers/${worker}/heartbeat`, { leases: [], state: 'dead' }],
      [`/api/v1/workers/${worker}/jobs/x/progress`, { token: 't', percent: 101 }],
      [`/api/v1/workers/${worker}/jobs/x/fail`, { token: 't' }],
      [`/api/v1/workers/not a worker/lease`, {}],
    ] as const;
    for (const [url, body] of bad) {
      const answer = await t.call('POST', url, t.workerKey, body);
      expect(answer.status, `${url} ${JSON.stringify(body)}`).toBe(400);
      expect(answer.body.error.code).toMatch(/^JOBGATE_ERR_(VALIDATION|BAD_REQUEST)$/);
    }
  });
});
