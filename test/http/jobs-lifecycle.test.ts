/**
 * The job lifecycle end to end through the HTTP API (app.inject), with the demo
 * handler and a few purpose-built handlers running in-process.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobView } from '../../src/client/types.js';
import { demoHandler } from '../../src/demo/demo-handler.js';
import type { HandlerContext } from '../../src/worker/handler.js';
import { createTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

let server: TestServer;
/** Job ids the `flaky` handler has seen: it fails the first time, succeeds afterwards. */
let flakySeen: Set<string>;

beforeEach(async () => {
  flakySeen = new Set();
  server = await createTestServer({
    setup: (workers) => {
      workers.register('demo', demoHandler, { concurrency: 2 });
      workers.register(
        'flaky',
        (job) => {
          if (!flakySeen.has(job.id)) {
            flakySeen.add(job.id);
            throw new Error('flaky: first attempt fails');
          }
          return { recovered: true };
        },
        { concurrency: 1 },
      );
      // Ignores its AbortSignal entirely: only the worker's timeout can settle the attempt.
      workers.register(
        'stubborn',
        async (_job, _ctx: HandlerContext) => {
          await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
          return { tooLate: true };
        },
        { concurrency: 1 },
      );
    },
  });
});

afterEach(async () => {
  await server.close();
});

async function submit(body: Record<string, unknown>): Promise<JobView> {
  const response = await server.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: body });
  expect(response.statusCode, response.body).toBe(202);
  return response.json<JobView>();
}

async function getJob(id: string): Promise<JobView> {
  const response = await server.app.inject({ method: 'GET', url: `/api/v1/jobs/${id}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<JobView>();
}

async function waitForStatus(
  id: string,
  statuses: JobView['status'][],
  timeoutMs = 10_000,
): Promise<JobView> {
  return waitFor(
    async () => {
      const job = await getJob(id);
      return statuses.includes(job.status) ? job : null;
    },
    { timeoutMs, message: `job ${id} to reach ${statuses.join('/')}` },
  );
}

async function post(url: string) {
  return server.app.inject({ method: 'POST', url });
}

describe('demo jobs', () => {
  it('runs a demo job through its stages to completed with 100% progress and a result', async () => {
    const submitted = await submit({ queue: 'demo', payload: { ms: 200, stages: ['fetch', 'render'] } });
    expect(['queued', 'running']).toContain(submitted.status);
    expect(submitted.queue).toBe('demo');
    expect(submitted.attempts).toBeLessThanOrEqual(1);

    const done = await waitForStatus(submitted.id, ['completed', 'failed', 'cancelled']);
    expect(done.status).toBe('completed');
    expect(done.progress.percent).toBe(100);
    expect(done.progress.stage).toBe('render');
    expect(done.result).toEqual({ ok: true, ms: 200, stages: 2 });
    expect(done.error).toBeNull();
    expect(done.attempts).toBe(1);
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
    expect(Date.parse(done.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt!));
  });

  it('retries a failing demo job up to maxAttempts, then fails it with the error message', async () => {
    const submitted = await submit({ queue: 'demo', payload: { fail: true, ms: 10 }, maxAttempts: 2 });
    const done = await waitForStatus(submitted.id, ['completed', 'failed', 'cancelled']);
    expect(done.status).toBe('failed');
    expect(done.attempts).toBe(2);
    expect(done.maxAttempts).toBe(2);
    expect(done.error?.message).toBe('Demo failure requested by the payload (fail: true)');
    expect(done.result).toBeNull();
  });

  it('fails the first failTimes attempts of a demo job, then completes it', async () => {
    const submitted = await submit({ queue: 'demo', payload: { failTimes: 2, ms: 10 }, maxAttempts: 3 });
    const done = await waitForStatus(submitted.id, ['completed', 'failed', 'cancelled']);
    expect(done.status).toBe('completed');
    expect(done.attempts).toBe(3);
    expect(done.result).toEqual({ ok: true, ms: 10, stages: 1 });
    // Its history: three attempts, the first two with their errors, each timed.
    const history = done.attemptHistory;
    expect(history.map((a) => a.outcome)).toEqual(['failed', 'failed', 'completed']);
    expect(history.map((a) => a.error?.message ?? null)).toEqual([
      'Demo failure 1 of 2 requested by the payload (failTimes)',
      'Demo failure 2 of 2 requested by the payload (failTimes)',
      null,
    ]);
    for (const attempt of history) {
      expect(attempt.durationMs).toEqual(expect.any(Number));
      expect(attempt.queueWaitMs).toEqual(expect.any(Number));
      expect(attempt.workerId).toEqual(expect.any(String));
    }
    expect(done.attemptsDropped).toBe(0);
  });

  it('holds a delayed job as scheduled and starts it no earlier than its delay', async () => {
    const submitted = await submit({ queue: 'demo', payload: { ms: 10 }, delayMs: 300 });
    expect(submitted.status).toBe('scheduled');
    expect(Date.parse(submitted.runAt) - Date.parse(submitted.createdAt)).toBe(300);
    const early = await getJob(submitted.id);
    expect(early.status).toBe('scheduled');
    expect(early.startedAt).toBeNull();

    const done = await waitForStatus(submitted.id, ['completed', 'failed', 'cancelled']);
    expect(done.status).toBe('completed');
    expect(Date.parse(done.startedAt!)).toBeGreaterThanOrEqual(Date.parse(submitted.createdAt) + 300);
  });
});

describe('cancel', () => {
  it('cancels a queued job at once', async () => {
    const submitted = await submit({ queue: 'no-worker-cancel', payload: {} });
    expect(submitted.status).toBe('queued');
    const response = await post(`/api/v1/jobs/${submitted.id}/cancel`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<JobView>().status).toBe('cancelled');
    const job = await getJob(submitted.id);
    expect(job.status).toBe('cancelled');
    expect(job.finishedAt).not.toBeNull();
    expect(job.attempts).toBe(0);
  });

  it('cancels a scheduled job', async () => {
    const submitted = await submit({ queue: 'demo', payload: { ms: 10 }, delayMs: 60_000 });
    expect(submitted.status).toBe('scheduled');
    const response = await post(`/api/v1/jobs/${submitted.id}/cancel`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<JobView>().status).toBe('cancelled');
  });

  it('aborts a running demo job and ends it cancelled well before its handler would finish', async () => {
    const submitted = await submit({ queue: 'demo', payload: { ms: 5_000 } });
    await waitForStatus(submitted.id, ['running']);
    const started = Date.now();
    const response = await post(`/api/v1/jobs/${submitted.id}/cancel`);
    expect(response.statusCode, response.body).toBe(200);
    const answered = response.json<JobView>();
    expect(['running', 'cancelled']).toContain(answered.status);
    if (answered.status === 'running') expect(answered.cancelRequested).toBe(true);

    const done = await waitForStatus(submitted.id, ['completed', 'failed', 'cancelled'], 2_000);
    expect(done.status).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(done.result).toBeNull();
    expect(done.attempts).toBe(1);
  });

  it('refuses to cancel a completed job with 409 JOBGATE_ERR_ILLEGAL_TRANSITION', async () => {
    const submitted = await submit({ queue: 'demo', payload: { ms: 10 } });
    await waitForStatus(submitted.id, ['completed']);
    const response = await post(`/api/v1/jobs/${submitted.id}/cancel`);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ error: { code: 'JOBGATE_ERR_ILLEGAL_TRANSITION' } });
    expect(typeof response.json().error.message).toBe('string');
    expect((await getJob(submitted.id)).status).toBe('completed');
  });
});

describe('retry', () => {
  it('runs a failed job again and completes it once the handler succeeds', async () => {
    const submitted = await submit({ queue: 'flaky', payload: { n: 1 }, maxAttempts: 1 });
    const failed = await waitForStatus(submitted.id, ['completed', 'failed', 'cancelled']);
    expect(failed.status).toBe('failed');
    expect(failed.attempts).toBe(1);
    expect(failed.error?.message).toBe('flaky: first attempt fails');

    const response = await post(`/api/v1/jobs/${submitted.id}/retry`);
    expect(response.statusCode, response.body).toBe(200);
    expect(['queued', 'running', 'completed']).toContain(response.json<JobView>().status);

    const done = await waitForStatus(submitted.id, ['completed', 'failed', 'cancelled']);
    expect(done.status).toBe('completed');
    expect(done.result).toEqual({ recovered: true });
    expect(done.attempts).toBe(1);
  });

  it('retries a cancelled job', async () => {
    const submitted = await submit({ queue: 'no-worker-retry', payload: {} });
    await post(`/api/v1/jobs/${submitted.id}/cancel`);
    const response = await post(`/api/v1/jobs/${submitted.id}/retry`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json<JobView>().status).toBe('queued');
  });

  it('refuses to retry a queued job with 409', async () => {
    const submitted = await submit({ queue: 'no-worker-retry', payload: {} });
    const response = await post(`/api/v1/jobs/${submitted.id}/retry`);
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ error: { code: 'JOBGATE_ERR_ILLEGAL_TRANSITION' } });
  });
});

describe('dispatch order and timeouts', () => {
  it('claims priority 1 before priority 5, and equal priorities first in, first out', async () => {
    const queue = 'no-worker-priority';
    const first = await submit({ queue, priority: 5, payload: { n: 1 } });
    const second = await submit({ queue, priority: 5, payload: { n: 2 } });
    const urgent = await submit({ queue, priority: 1, payload: { n: 3 } });
    const claimed = await server.engine.claim({ queue, workerId: 'w', limit: 3 });
    expect(claimed.map((job) => job.id)).toEqual([urgent.id, first.id, second.id]);
    for (const job of claimed) {
      expect(job.status).toBe('running');
      expect(job.attempts).toBe(1);
      expect(job.workerId).toBe('w');
    }
  });

  it('fails an attempt that outlives timeoutMs even when the handler ignores its signal', async () => {
    const submitted = await submit({ queue: 'stubborn', payload: {}, timeoutMs: 100, maxAttempts: 1 });
    const done = await waitForStatus(submitted.id, ['completed', 'failed', 'cancelled']);
    expect(done.status).toBe('failed');
    expect(done.error?.message).toMatch(/timed out/i);
    expect(done.result).toBeNull();
    expect(done.attempts).toBe(1);
    expect(done.timeoutMs).toBe(100);
  });
});

describe('listing', () => {
  it('filters by status, queue and type, and pages with a cursor without gaps or duplicates', async () => {
    const queue = 'no-worker-list';
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await submit({ queue, type: i % 2 === 0 ? 'even' : 'odd', payload: { i } })).id);
    await submit({ queue: 'no-worker-other', type: 'even', payload: {} });
    await post(`/api/v1/jobs/${ids[4]}/cancel`);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = `queue=${queue}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const response = await server.app.inject({ method: 'GET', url: `/api/v1/jobs?${qs}` });
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json<{ items: JobView[]; nextCursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const job of page.items) expect(job.queue).toBe(queue);
      seen.push(...page.items.map((job) => job.id));
      cursor = page.nextCursor;
      pages++;
      expect(pages).toBeLessThanOrEqual(5);
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(seen.length);
    // Newest first.
    expect(seen).toEqual([...ids].reverse());

    const byType = await server.app.inject({ method: 'GET', url: `/api/v1/jobs?queue=${queue}&type=even` });
    expect(byType.statusCode).toBe(200);
    const evens = byType.json<{ items: JobView[] }>().items;
    expect(evens.map((job) => job.id).sort()).toEqual([ids[0], ids[2], ids[4]].sort());

    const byStatus = await server.app.inject({
      method: 'GET',
      url: `/api/v1/jobs?queue=${queue}&status=cancelled`,
    });
    expect(byStatus.statusCode).toBe(200);
    expect(byStatus.json<{ items: JobView[] }>().items.map((job) => job.id)).toEqual([ids[4]]);

    const queued = await server.app.inject({ method: 'GET', url: '/api/v1/jobs?status=queued&type=even' });
    expect(queued.statusCode).toBe(200);
    const queuedEvens = queued.json<{ items: JobView[] }>().items;
    expect(queuedEvens).toHaveLength(3);
    for (const job of queuedEvens) expect(job).toMatchObject({ status: 'queued', type: 'even' });
  });
});

describe('health and batch', () => {
  it('GET /health answers ok', async () => {
    const response = await server.app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', store: { name: 'sqlite', ok: true } });
    const ready = await server.app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
  });

  it('batch submit answers one result per item; a bad item gets its own error', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/v1/jobs/batch',
      payload: {
        jobs: [
          { queue: 'no-worker-batch', payload: { n: 1 } },
          { queue: 'no-worker-batch', runAt: new Date().toISOString(), delayMs: 10 },
          { queue: 'no-worker-batch', delayMs: 60_000 },
          { queue: 'no-worker-batch', parentId: 'no-such-parent' },
          { queue: 'no-worker-batch', payload: { n: 2 } },
        ],
      },
    });
    expect(response.statusCode, response.body).toBe(202);
    const { items } = response.json<{
      items: Array<{ status: string; job?: JobView; error?: { code: string; message: string } }>;
    }>();
    expect(items).toHaveLength(5);
    expect(items[0]).toMatchObject({ status: 'accepted', job: { status: 'queued', payload: { n: 1 } } });
    expect(items[1]).toMatchObject({ status: 'error', error: { code: 'JOBGATE_ERR_VALIDATION' } });
    expect(items[1]!.job).toBeUndefined();
    expect(items[2]).toMatchObject({ status: 'scheduled', job: { status: 'scheduled' } });
    expect(items[3]).toMatchObject({ status: 'error', error: { code: 'JOBGATE_ERR_UNPROCESSABLE' } });
    expect(items[4]).toMatchObject({ status: 'accepted', job: { status: 'queued', payload: { n: 2 } } });

    const list = await server.app.inject({ method: 'GET', url: '/api/v1/jobs?queue=no-worker-batch' });
    expect(list.json<{ items: JobView[] }>().items).toHaveLength(3);
  });
});
