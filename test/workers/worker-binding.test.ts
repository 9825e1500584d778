/**
 * A lease is its worker's, and a worker is its key's: another worker key cannot act as
 * a worker it did not register (404), nor write to a job leased by another worker with
 * that worker's lease token through its own worker (409) — and the job is untouched.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminKey, createWorkerTestApp, type WorkerTestApp } from './worker-test-app.js';

let t: WorkerTestApp;
beforeEach(async () => {
  t = await createWorkerTestApp();
});
afterEach(async () => {
  await t.close();
});

describe('worker writes are bound to the worker and its key', () => {
  it('refuses a second worker key acting on the first key’s worker and lease', async () => {
    const other = (
      await t.call('POST', '/api/v1/keys', adminKey, { owner: 'w2', role: 'worker', tier: 'free' })
    ).body.key as string;
    const a = (await t.call('POST', '/api/v1/workers', t.workerKey, { queues: ['b'], concurrency: 1 })).body
      .worker.id;
    const b = (await t.call('POST', '/api/v1/workers', other, { queues: ['b'], concurrency: 1 })).body.worker
      .id;
    expect((await t.call('POST', '/api/v1/jobs', t.tenantKey, { queue: 'b' })).status).toBe(202);
    const [job] = (await t.call('POST', `/api/v1/workers/${a}/lease`, t.workerKey, { max: 1, waitMs: 0 }))
      .body.jobs;
    const token = job.leaseToken as string;

    // Through A's worker id: not B's worker.
    for (const [path, body] of [
      ['progress', { token, percent: 90 }],
      ['complete', { token, result: 'stolen' }],
      ['fail', { token, message: 'sabotage', retryable: false }],
      ['release', { token }],
    ] as const) {
      const answer = await t.call('POST', `/api/v1/workers/${a}/jobs/${job.id}/${path}`, other, body);
      expect(answer.status, `${path} ${JSON.stringify(answer.body)}`).toBe(404);
      expect(answer.body.error.code).toBe('JOBGATE_ERR_WORKER_NOT_FOUND');
    }
    expect((await t.call('POST', `/api/v1/workers/${a}/heartbeat`, other, { leases: [] })).status).toBe(404);
    expect((await t.call('POST', `/api/v1/workers/${a}/lease`, other, { waitMs: 0 })).status).toBe(404);
    // Re-registering A's id with B's key is refused.
    const hijack = await t.call('POST', '/api/v1/workers', other, { id: a, queues: ['b'], concurrency: 1 });
    expect(hijack.status).toBe(404);

    // Through B's own worker id, with A's token: the lease is not B's.
    for (const [path, body] of [
      ['progress', { token, percent: 90 }],
      ['complete', { token, result: 'stolen' }],
      ['fail', { token, message: 'sabotage', retryable: false }],
      ['release', { token }],
    ] as const) {
      const answer = await t.call('POST', `/api/v1/workers/${b}/jobs/${job.id}/${path}`, other, body);
      expect(answer.status, `${path} ${JSON.stringify(answer.body)}`).toBe(409);
      expect(answer.body.error.code).toBe('JOBGATE_ERR_LEASE_LOST');
    }
    const seen = (await t.call('GET', `/api/v1/jobs/${job.id}`, adminKey)).body;
    expect(seen).toMatchObject({ status: 'running', progress: { percent: 0 } });

    // The holder's own writes go through.
    const done = await t.call('POST', `/api/v1/workers/${a}/jobs/${job.id}/complete`, t.workerKey, {
      token,
      result: 'mine',
    });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect((await t.call('GET', `/api/v1/jobs/${job.id}`, adminKey)).body).toMatchObject({
      status: 'completed',
      result: 'mine',
    });
  });
});
