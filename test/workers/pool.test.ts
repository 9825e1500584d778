/**
 * The pool manager with the local-process provider: real `jobgate worker` children
 * (from dist/, which `npm test` builds first) against a real server. Grows with a
 * backlog but never past max, returns to min after the idle timeout, warms up without
 * ever starting a second worker, follows live min/max changes, and survives a worker
 * killed mid-job. Every child is gone after each test.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../src/client/index.js';
import { LocalProcessProvider } from '../../src/pool/local-process-provider.js';
import type { WorkerState } from '../../src/store/store.js';
import { waitFor } from '../helpers/wait-for.js';
import { type LiveServer, startLiveServer } from './live-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const handlers = join(here, '..', 'fixtures', 'handlers.mjs');
const root = join(here, '..', '..');

let live: LiveServer | null = null;
let provider: LocalProcessProvider | null = null;

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js')))
    throw new Error('dist/cli/main.js is missing: run `npm run build` before the pool tests');
});

afterEach(async () => {
  const pids = provider?.running().map((id) => provider!.pidOf(id)) ?? [];
  await live?.close();
  // close() stops every child; anything still alive here is a bug, but must not outlive the test.
  const leftover = provider?.running() ?? [];
  for (const pid of pids) {
    try {
      process.kill(pid!, 'SIGKILL');
    } catch {
      // Already gone: the expected case.
    }
  }
  live = null;
  provider = null;
  expect(leftover).toEqual([]);
});

async function startPool(pool: { min: number; max: number; idleTimeoutSec: number }) {
  provider = new LocalProcessProvider();
  live = await startLiveServer({
    rawConfig: { queues: { sleep: { pool: { ...pool, handlers } } } },
    workerPlane: { pools: { provider } },
  });
  return { live, provider, pools: live.server.workerPlane.pools };
}

const submitMany = async (server: LiveServer, count: number, ms: number) => {
  const jobs: JobView[] = [];
  for (let i = 0; i < count; i++) jobs.push(await server.admin.submit({ queue: 'sleep', payload: { ms } }));
  return jobs;
};

describe('pool manager (local processes)', () => {
  it('grows to max with a backlog and never beyond, then returns to min (0) after the idle timeout', async () => {
    const { live, provider, pools } = await startPool({ min: 0, max: 3, idleTimeoutSec: 1 });
    expect(provider.running()).toEqual([]);
    let peak = 0;
    const states = new Set<WorkerState>();
    const sample = async () => {
      peak = Math.max(peak, provider.running().length, pools.status('sleep').workers.length);
      for (const worker of (await live.server.workerPlane.registry.list({ queue: 'sleep' })).values())
        states.add(worker.state);
    };
    pools.on('tick', () => void sample());
    pools.on('started', () => void sample());

    const jobs = await submitMany(live, 6, 600);
    for (const job of jobs)
      expect((await live.admin.wait(job.id, { timeoutMs: 20_000 })).status).toBe('completed');
    expect(peak).toBe(3);
    const workersUsed = new Set<string>();
    for (const job of jobs)
      workersUsed.add(((await live.admin.get(job.id)).result as { worker: string }).worker);
    expect(workersUsed.size).toBeGreaterThan(1);
    expect(workersUsed.size).toBeLessThanOrEqual(3);
    expect(states).toContain('initializing');
    expect(states).toContain('running');

    await waitFor(() => provider.running().length === 0 && pools.status('sleep').workers.length === 0, {
      timeoutMs: 10_000,
      message: 'the pool back at 0 after the idle timeout',
    });
    expect(peak).toBe(3);
  });

  it('warms up a cold queue with exactly one worker; a second warmup starts none; a ready worker → noop', async () => {
    const { live, provider } = await startPool({ min: 0, max: 3, idleTimeoutSec: 30 });
    const first = await live.ops.warmup('sleep');
    expect(first).toMatchObject({ status: 'started', workersReady: 0 });
    expect(first.started).toHaveLength(1);
    const second = await live.ops.warmup('sleep');
    expect(['noop', 'starting']).toContain(second.status);
    expect(second.started).toEqual([]);
    if (second.status === 'starting') expect(second.workersInitializing).toBe(1);
    expect(provider.running()).toHaveLength(1);

    await waitFor(async () => (await live.ops.workers({ queue: 'sleep' })).items[0]?.state === 'ready', {
      message: 'the warmed worker ready',
    });
    const third = await live.ops.warmup('sleep');
    expect(third).toMatchObject({ status: 'noop', workersReady: 1, started: [] });
    expect(provider.running()).toEqual(first.started);
    // Queue status reads the registry through a snapshot refreshed every tick.
    await waitFor(async () => (await live.ops.queueStatus('sleep')).workers.ready === 1, {
      message: 'queue status showing the ready worker',
    });
  });

  it('changes min and max live (PATCH) and refuses an impossible pair', async () => {
    const { live, provider } = await startPool({ min: 0, max: 3, idleTimeoutSec: 30 });
    expect(await live.ops.updatePool('sleep', { min: 2 })).toMatchObject({ min: 2, max: 3 });
    await waitFor(() => provider.running().length === 2, { message: 'two workers for min 2' });
    const lowered = await live.ops.updatePool('sleep', { min: 1, max: 1 });
    expect(lowered).toMatchObject({ min: 1, max: 1 });
    await waitFor(() => provider.running().length === 1, { message: 'one worker left for max 1' });
    await expect(live.ops.updatePool('sleep', { min: 2 })).rejects.toMatchObject({
      status: 400,
      code: 'JOBGATE_ERR_VALIDATION',
    });
    await expect(live.ops.updatePool('nopool', { max: 2 })).rejects.toMatchObject({ status: 422 });
  });

  it('brings back a job whose worker was killed (-9) mid-job: another worker completes it', async () => {
    const { live, provider, pools } = await startPool({ min: 1, max: 1, idleTimeoutSec: 30 });
    const crashed: string[] = [];
    pools.on('crashed', (id: string) => crashed.push(id));
    const [job] = await submitMany(live, 1, 1_500);
    await waitFor(async () => (await live.admin.get(job!.id)).status === 'running', {
      message: 'the job running',
    });
    const [victim] = provider.running();
    process.kill(provider.pidOf(victim!)!, 'SIGKILL');
    await waitFor(() => crashed.includes(victim!), { message: 'the pool saw the crash' });

    const final = await live.admin.wait(job!.id, { timeoutMs: 20_000 });
    expect(final.status).toBe('completed');
    expect(final.attempts).toBe(2);
    const result = final.result as { worker: string };
    expect(result.worker).not.toBe(victim);
    expect(provider.running()).toEqual([result.worker]);
    const workers = await live.server.workerPlane.registry.list({ queue: 'sleep' });
    expect(workers.find((worker) => worker.id === victim)?.state).toBe('dead');
  });
});
