/**
 * What a pool's workers look like from outside while they start and run: a spawned
 * worker is `initializing` from its spawn in the warmup answer, queue status, worker
 * list and metrics (the queue is `cold`, never `ok`, until it is up); a cold pooled
 * queue's estimate is `cold_start` with the measured start time; a worker serving two
 * queues counts its running slots only where its jobs run. Real `jobgate worker`
 * children from dist/ (`npm run build` first) and an HTTP worker (the SDK).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalProcessProvider } from '../../src/pool/local-process-provider.js';
import { Worker } from '../../src/worker/remote/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { type LiveServer, liveAdminKey, startLiveServer } from './live-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const handlers = join(here, '..', 'fixtures', 'handlers.mjs');
const root = join(here, '..', '..');

let live: LiveServer | null = null;
let provider: LocalProcessProvider | null = null;
let worker: Worker | null = null;

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js')))
    throw new Error('dist/cli/main.js is missing: run `npm run build` before the pool tests');
});

afterEach(async () => {
  await worker?.stop();
  worker = null;
  await live?.close();
  live = null;
  expect(provider?.running() ?? []).toEqual([]);
  provider = null;
});

interface Status {
  status: string;
  workers: Record<string, number>;
  estimatedWait: { seconds: number | null; reason?: string; coldStartSeconds?: number | null } | null;
}

const status = (queue: string) => live!.admin.request<Status>('GET', `/api/v1/queues/${queue}/status`);

describe('pool workers seen from outside', () => {
  it('counts a spawned worker as initializing everywhere from the warmup answer on', async () => {
    provider = new LocalProcessProvider();
    live = await startLiveServer({
      rawConfig: { queues: { sleep: { pool: { min: 0, max: 2, idleTimeoutSec: 30, handlers } } } },
      // A registry snapshot that would lag for a minute: only the spawn itself can show the worker.
      workerPlane: { registry: { refreshMs: 60_000 }, pools: { provider } },
    });
    expect((await status('sleep')).status).toBe('cold');
    const answer = await live.ops.warmup('sleep');
    expect(answer).toMatchObject({ status: 'started', workersInitializing: 1, workersReady: 0 });
    const now = await status('sleep');
    expect(now.workers).toMatchObject({ initializing: 1, ready: 0, idle: 0, running: 0 });
    expect(now.status).toBe('cold');
    const [listed] = (await live.ops.workers({ queue: 'sleep' })).items;
    expect(listed).toMatchObject({ id: answer.started[0], state: 'initializing' });
    const metrics = await (
      await fetch(`${live.url}/metrics`, { headers: { authorization: `Bearer ${liveAdminKey}` } })
    ).text();
    expect(metrics).toMatch(/jobgate_workers\{[^}]*queue="sleep"[^}]*state="initializing"[^}]*\} 1/);
    // The pool's own series: its start, the warmup's outcome and its worker by phase.
    expect(metrics).toMatch(/jobgate_pool_worker_starts_total\{queue="sleep"\} 1/);
    expect(metrics).toMatch(/jobgate_pool_warmups_total\{queue="sleep",status="started"\} 1/);
    expect(metrics).toMatch(/jobgate_pool_workers\{queue="sleep",phase="(initializing|live)"\} 1/);
    // The dashboard's pool read: a list, so a queue without a pool costs no 422.
    const pools = await live.admin.request<{ items: Array<{ queue: string }> }>('GET', '/api/v1/pools');
    expect(pools.items.map((pool) => pool.queue)).toEqual(['sleep']);
  });

  it('estimates a cold pooled queue as cold_start with the measured start time', async () => {
    provider = new LocalProcessProvider();
    live = await startLiveServer({
      rawConfig: { queues: { sleep: { pool: { min: 0, max: 1, idleTimeoutSec: 0.5, handlers } } } },
      workerPlane: { pools: { provider } },
    });
    const first = await live.admin.submit({ queue: 'sleep', payload: { ms: 50 } });
    // No start measured yet: a pool will start one, but it cannot say when.
    expect(first.estimatedWait).toMatchObject({
      seconds: null,
      reason: 'cold_start',
      coldStartSeconds: null,
    });
    expect((await live.admin.wait(first.id, { timeoutMs: 20_000 })).status).toBe('completed');
    await waitFor(() => provider!.running().length === 0, {
      timeoutMs: 15_000,
      message: 'the pool back at 0 after its idle timeout',
    });
    // The registry snapshot follows within its refresh.
    await waitFor(async () => (await status('sleep')).status === 'cold', { message: 'the queue cold again' });
    const cold = await status('sleep');
    expect(cold.estimatedWait).toMatchObject({ reason: 'cold_start' });
    expect(cold.estimatedWait?.coldStartSeconds).toBeGreaterThan(0);
    const second = await live.admin.submit({ queue: 'sleep', payload: { ms: 50 } });
    expect(second.estimatedWait?.reason).toBe('cold_start');
    expect(second.estimatedWait?.seconds).toBeGreaterThan(0);
    expect(second.estimatedWait?.seconds).toBeGreaterThanOrEqual(second.estimatedWait?.coldStartSeconds ?? 0);
    expect((await live.admin.wait(second.id, { timeoutMs: 20_000 })).status).toBe('completed');
  });

  it('counts a two-queue worker’s running slots only in the queue whose jobs it runs', async () => {
    live = await startLiveServer();
    const key = await live.createKey('worker');
    const release: Array<() => void> = [];
    worker = new Worker({
      url: live.url,
      key,
      queues: ['alpha', 'beta'],
      concurrency: 5,
      handleSignals: false,
      graceMs: 200,
      handler: () => new Promise((resolve) => release.push(() => resolve(null))),
    });
    await worker.start();
    for (let i = 0; i < 5; i++) await live.admin.submit({ queue: 'alpha' });
    await waitFor(() => release.length === 5, { message: 'five alpha jobs running' });
    await waitFor(async () => (await status('alpha')).workers.running === 5, {
      message: 'alpha showing five running slots',
    });
    const beta = await status('beta');
    // Its five slots run alpha's jobs: none runs beta's, none is free for beta.
    expect(beta.workers).toMatchObject({ running: 0, idle: 0 });
    for (const done of release.splice(0)) done();
    await waitFor(async () => (await status('beta')).workers.idle === 5, {
      message: 'beta showing the five free slots',
    });
    expect((await status('beta')).workers.running).toBe(0);
  });
});
