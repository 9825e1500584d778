/**
 * Queue visibility and control over HTTP (app.inject): status against the store's
 * counts through a run, busy and cold, pause and resume, clear, statistics, running
 * jobs, roles and tenancy, and a store that fails under the status route.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { Engine } from '../../src/engine/engine.js';
import type { QueueStatus } from '../../src/engine/queue-status.js';
import { buildApp } from '../../src/http/app.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobStore } from '../../src/store/store.js';
import { createTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

/** A handler whose jobs run until the test lets them finish. */
function gatedHandler() {
  const waiting: Array<() => void> = [];
  return {
    handler: async (_job: unknown, ctx: { progress(percent: number, stage?: string): Promise<void> }) => {
      await ctx.progress(40, 'halfway');
      await new Promise<void>((resolve) => waiting.push(resolve));
      return { ok: true };
    },
    releaseAll() {
      for (const resolve of waiting.splice(0)) resolve();
    },
    get held() {
      return waiting.length;
    },
  };
}

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const get = async <T>(url: string) => {
  const response = await server!.app.inject({ method: 'GET', url });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<T>();
};
const post = (url: string, payload?: object) =>
  server!.app.inject({ method: 'POST', url, ...(payload ? { payload } : {}) });
const submit = async (body: Record<string, unknown>) => {
  const response = await post('/api/v1/jobs', body);
  expect(response.statusCode, response.body).toBe(202);
  return response.json<{ id: string }>();
};
const status = (queue: string) => get<QueueStatus>(`/api/v1/queues/${queue}/status`);

describe('queue status', () => {
  it('matches the store’s counts through a run, and says busy when every slot runs', async () => {
    const gate = gatedHandler();
    server = await createTestServer({ setup: (w) => w.register('work', gate.handler, { concurrency: 2 }) });
    const idle = await status('work');
    expect(idle).toMatchObject({
      queue: 'work',
      status: 'ok',
      paused: false,
      workers: { idle: 2, running: 0 },
      maxWorkers: null,
    });
    for (let i = 0; i < 3; i++) await submit({ queue: 'work' });
    await waitFor(() => gate.held === 2, { message: 'two jobs running' });
    const busy = await status('work');
    const counts = await server.store.counts('work');
    expect(busy.status).toBe('busy');
    expect(busy.workers).toEqual({ initializing: 0, ready: 0, idle: 0, running: 2, draining: 0 });
    expect(busy.jobs).toEqual({
      scheduled: counts.scheduled,
      queued: counts.queued,
      running: counts.running,
      completed: counts.completed,
      failed: counts.failed,
      cancelled: counts.cancelled,
      awaitingConfirmation: counts.awaiting_confirmation,
    });
    expect(busy.jobs).toMatchObject({ queued: 1, running: 2, completed: 0 });
    expect(busy.estimatedWait).toMatchObject({ confidence: 'low' });

    const active = await get<{ items: Array<Record<string, unknown>> }>('/api/v1/queues/work/active');
    expect(active.items).toHaveLength(2);
    for (const item of active.items) {
      expect(item.workerId).toEqual(expect.stringMatching(/^worker-/));
      expect(item.progress).toEqual({ percent: 40, stage: 'halfway', message: null });
    }

    gate.releaseAll();
    await waitFor(() => gate.held === 1, { message: 'the third job running' });
    gate.releaseAll();
    await waitFor(async () => (await status('work')).jobs?.completed === 3, { message: 'all completed' });
    expect(await status('work')).toMatchObject({ status: 'ok', workers: { idle: 2, running: 0 } });
    expect((await get<{ items: unknown[] }>('/api/v1/queues/work/active')).items).toEqual([]);
  });

  it('says cold while no worker serves a queue (never ok), and busy at the queue’s maxWorkers', async () => {
    server = await createTestServer();
    expect((await status('nobody')).status).toBe('cold');
    await submit({ queue: 'nobody' });
    const cold = await status('nobody');
    expect(cold).toMatchObject({
      status: 'cold',
      estimatedWait: { seconds: null, reason: 'no_workers' },
      jobs: { queued: 1 },
    });

    const gate = gatedHandler();
    await server.engine.configureQueue({ queue: 'capped', maxWorkers: 1, maxQueued: null });
    server.workers.register('capped', gate.handler, { concurrency: 3 });
    await submit({ queue: 'capped' });
    await submit({ queue: 'capped' });
    await waitFor(() => gate.held === 1, { message: 'one job running' });
    expect(await status('capped')).toMatchObject({
      status: 'busy',
      maxWorkers: 1,
      workers: { idle: 2, running: 1 },
      jobs: { queued: 1, running: 1 },
    });
    gate.releaseAll();
    await waitFor(() => gate.held === 1, { message: 'the second job' });
    gate.releaseAll();
  });

  it('lists every queue the store or the workers know, with its status', async () => {
    server = await createTestServer({ setup: (w) => w.register('served', async () => null) });
    await submit({ queue: 'unserved' });
    const { items } = await get<{ items: QueueStatus[] }>('/api/v1/queues');
    expect(items.map((item) => [item.queue, item.status])).toEqual([
      ['served', 'ok'],
      ['unserved', 'cold'],
    ]);
  });

  it('pauses (jobs are admitted, none runs) and resumes', async () => {
    const ran: string[] = [];
    server = await createTestServer({
      setup: (w) =>
        w.register('p', async (job) => {
          ran.push(job.id);
        }),
    });
    expect((await post('/api/v1/queues/p/pause')).json()).toEqual({ queue: 'p', paused: true });
    const job = await submit({ queue: 'p' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(ran).toEqual([]);
    expect(await status('p')).toMatchObject({
      status: 'paused',
      paused: true,
      estimatedWait: { seconds: null, reason: 'paused' },
    });
    expect((await post('/api/v1/queues/p/resume')).json()).toEqual({ queue: 'p', paused: false });
    // Resuming wakes the idle worker at once: well within its 1 s poll.
    await waitFor(() => ran.includes(job.id), { timeoutMs: 800, message: 'the job to run after resume' });
    expect((await status('p')).status).toBe('ok');
  });

  it('clears queued, scheduled and awaiting jobs, reports the count and publishes removed events', async () => {
    server = await createTestServer();
    const removed: string[] = [];
    server.engine.events.subscribe((event) => {
      if (event.kind === 'removed') removed.push(event.job.id);
    });
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await submit({ queue: 'c' })).id);
    ids.push((await submit({ queue: 'c', delayMs: 60_000 })).id);
    await submit({ queue: 'other' });
    const response = await post('/api/v1/queues/c/clear');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ queue: 'c', cleared: 5 });
    expect(removed.sort()).toEqual(ids.sort());
    expect((await status('c')).jobs).toMatchObject({ queued: 0, scheduled: 0 });
    expect((await status('other')).jobs).toMatchObject({ queued: 1 });
    expect((await post('/api/v1/queues/c/clear')).json()).toEqual({ queue: 'c', cleared: 0 });
    expect((await server.app.inject({ method: 'GET', url: `/api/v1/jobs/${ids[0]}` })).statusCode).toBe(404);
  });

  it('computes statistics over the last hour and day', async () => {
    server = await createTestServer({
      setup: (w) =>
        w.register('s', async (job) => {
          if ((job.payload as { fail?: boolean } | null)?.fail) throw new Error('no');
          await new Promise((resolve) => setTimeout(resolve, 20));
          return null;
        }),
    });
    for (let i = 0; i < 3; i++) await submit({ queue: 's' });
    await submit({ queue: 's', payload: { fail: true }, maxAttempts: 1 });
    await waitFor(
      async () => (await status('s')).jobs?.queued === 0 && (await status('s')).jobs?.running === 0,
    );
    await waitFor(async () => (await status('s')).jobs?.completed === 3);
    const stats = await get<{
      queue: string;
      windows: Record<'hour' | 'day', Record<string, unknown> & { runTimeMs: { p50: number; p95: number } }>;
    }>('/api/v1/queues/s/stats');
    expect(stats.queue).toBe('s');
    for (const window of [stats.windows.hour, stats.windows.day]) {
      expect(window).toMatchObject({
        completed: 3,
        failed: 1,
        cancelled: 0,
        successRate: 0.75,
        truncated: false,
      });
      expect(window.runTimeMs.p50).toBeGreaterThanOrEqual(15);
      expect(window.runTimeMs.p95).toBeGreaterThanOrEqual(window.runTimeMs.p50);
    }
    expect(stats.windows.hour.throughputPerMinute).toBe(0.05);
  });

  it('rejects a bad queue name and a bad limit', async () => {
    server = await createTestServer();
    const bad = await server.app.inject({ method: 'GET', url: '/api/v1/queues/-bad/status' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('JOBGATE_ERR_VALIDATION');
    const limit = await server.app.inject({ method: 'GET', url: '/api/v1/queues/q/active?limit=0' });
    expect(limit.json().error.code).toBe('JOBGATE_ERR_VALIDATION');
  });
});

describe('queue routes with API keys', () => {
  let running: RunningServer;
  afterEach(async () => {
    await running.close();
  });

  it('lets only admins pause, resume and clear, and shows tenants only their running jobs', async () => {
    const adminKey = 'queue-admin-key';
    running = await startServer({
      port: 0,
      host: '127.0.0.1',
      db: ':memory:',
      demo: false,
      adminKey,
      graceMs: 200,
    });
    const gate = gatedHandler();
    running.workers.register('t', gate.handler, { concurrency: 2 });
    const call = async (method: 'GET' | 'POST', url: string, key: string, payload?: object) => {
      const response = await running.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}` },
        ...(payload ? { payload } : {}),
      });
      return { status: response.statusCode, body: response.json() };
    };
    const keyOf = async (owner: string) =>
      (await call('POST', '/api/v1/keys', adminKey, { owner, role: 'tenant', tier: 'free' })).body
        .key as string;
    const [alice, bob] = [await keyOf('alice'), await keyOf('bob')];
    await call('POST', '/api/v1/jobs', alice, { queue: 't' });
    await call('POST', '/api/v1/jobs', bob, { queue: 't' });
    await waitFor(() => gate.held === 2, { message: 'both running' });

    for (const action of ['pause', 'resume', 'clear']) {
      const refused = await call('POST', `/api/v1/queues/t/${action}`, alice);
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('JOBGATE_ERR_FORBIDDEN');
    }
    expect((await call('GET', '/api/v1/queues/t/status', alice)).body.jobs.running).toBe(2);
    const mine = await call('GET', '/api/v1/queues/t/active', alice);
    expect(mine.body.items.map((item: { owner: string }) => item.owner)).toEqual(['alice']);
    expect((await call('GET', '/api/v1/queues/t/active', adminKey)).body.items).toHaveLength(2);
    expect((await call('POST', '/api/v1/queues/t/pause', adminKey)).status).toBe(200);
    gate.releaseAll();
  });
});

describe('queue status when the store fails', () => {
  it('answers with the worker part and a documented error for the store part, never a 500', async () => {
    const sqlite = new SqliteStore({ file: ':memory:' });
    const outage = () =>
      Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    let failing = false;
    const store = new Proxy(sqlite, {
      get(target, property, receiver) {
        if (failing && ['counts', 'queueState', 'queues', 'now', 'finishedSince'].includes(String(property)))
          return outage;
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as JobStore;
    const engine = new Engine({ store });
    const app = await buildApp({ engine });
    try {
      failing = true;
      const response = await app.inject({ method: 'GET', url: '/api/v1/queues/q/status' });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({
        queue: 'q',
        status: 'unknown',
        jobs: null,
        paused: null,
        workers: { idle: 0, running: 0 },
        errors: [
          { part: 'queue', code: 'JOBGATE_ERR_STORE_UNAVAILABLE' },
          { part: 'jobs', code: 'JOBGATE_ERR_STORE_UNAVAILABLE' },
        ],
      });
      for (const url of ['/api/v1/queues', '/api/v1/queues/q/stats']) {
        const failed = await app.inject({ method: 'GET', url });
        expect(failed.statusCode, url).toBe(503);
        expect(failed.json().error.code).toBe('JOBGATE_ERR_STORE_UNAVAILABLE');
        expect(failed.headers['retry-after']).toBe('1');
      }
      failing = false;
      // Back: no worker serves q, so cold (never ok without a live worker).
      expect((await app.inject({ method: 'GET', url: '/api/v1/queues/q/status' })).json().status).toBe(
        'cold',
      );
    } finally {
      await app.close();
      await sqlite.close();
    }
  });
});
