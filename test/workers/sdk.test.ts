/**
 * The TypeScript worker SDK (`jobgate/worker`) against a real server: the client submits,
 * a remote Worker runs, the client sees the outcome. Also cancel, UnrecoverableError,
 * graceful stop and reconnecting to a server that comes up late.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { JobgateClient } from '../../src/client/index.js';
import {
  type AbortReason,
  UnrecoverableError,
  Worker,
  type WorkerOptions,
} from '../../src/worker/remote/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { type LiveServer, startLiveServer } from './live-server.js';

const servers: LiveServer[] = [];
const workers: Worker[] = [];

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop(200)));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function setup() {
  const live = await startLiveServer();
  servers.push(live);
  const tenant = new JobgateClient({ url: live.url, key: await live.createKey('tenant') });
  const workerKey = await live.createKey('worker');
  const start = async (options: Partial<WorkerOptions> & Pick<WorkerOptions, 'handler'>) => {
    const worker = new Worker({
      url: live.url,
      key: workerKey,
      queues: ['render'],
      handleSignals: false,
      ...options,
    });
    worker.on('error', () => {});
    workers.push(worker);
    await worker.start();
    return worker;
  };
  return { live, tenant, start, workerKey };
}

const abortable = (signal: AbortSignal) =>
  new Promise<never>((_, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
  );

describe('jobgate/worker SDK', () => {
  it('runs a submitted job remotely; the client’s wait sees it completed with the result', async () => {
    const { live, tenant, start } = await setup();
    let release!: () => void;
    const proceed = new Promise<void>((resolve) => {
      release = resolve;
    });
    const worker = await start({
      concurrency: 2,
      labels: { gpu: 'none' },
      handler: async (job, { progress, attempt }) => {
        await progress(50, 'encode', 'half way');
        await proceed;
        return { echo: job.payload, attempt, createdAtIsEpoch: typeof job.createdAt === 'number' };
      },
    });
    const listed = await live.ops.workers({ queue: 'render' });
    expect(listed.items).toEqual([
      expect.objectContaining({ id: worker.id, state: 'ready', labels: { gpu: 'none' } }),
    ]);

    const job = await tenant.submit(
      { queue: 'render', payload: { text: 'hello' } },
      { idempotencyKey: 'round-1' },
    );
    await waitFor(async () => (await tenant.get(job.id)).progress.stage === 'encode', {
      message: 'the stage',
    });
    const running = await tenant.get(job.id);
    expect(running).toMatchObject({ status: 'running', progress: { percent: 50, message: 'half way' } });
    release();
    const final = await tenant.wait(job.id, { timeoutMs: 10_000 });
    expect(final.status).toBe('completed');
    expect(final.result).toEqual({ echo: { text: 'hello' }, attempt: 1, createdAtIsEpoch: true });
    await waitFor(async () => (await live.ops.workers()).items[0]?.state === 'idle', {
      message: 'the worker idle after its job',
    });
  });

  it('aborts the handler’s signal on cancel, and the job ends cancelled', async () => {
    const { tenant, start } = await setup();
    const reasons: AbortReason[] = [];
    await start({
      handler: async (_job, { signal }) => {
        try {
          await abortable(signal);
        } finally {
          reasons.push(signal.reason as AbortReason);
        }
      },
    });
    const job = await tenant.submit({ queue: 'render' });
    await waitFor(async () => (await tenant.get(job.id)).status === 'running');
    await tenant.cancel(job.id);
    expect((await tenant.wait(job.id, { timeoutMs: 10_000 })).status).toBe('cancelled');
    expect(reasons).toEqual(['cancelled']);
  });

  it('fails at once on UnrecoverableError and retries an ordinary error', async () => {
    const { tenant, start } = await setup();
    await start({
      handler: (job, { attempt }) => {
        const payload = job.payload as { kind: string };
        if (payload.kind === 'fatal') throw new UnrecoverableError('bad input');
        if (attempt < 2) throw new Error('flaky');
        return { attempt };
      },
    });
    const fatal = await tenant.submit({ queue: 'render', payload: { kind: 'fatal' }, maxAttempts: 3 });
    const flaky = await tenant.submit({ queue: 'render', payload: { kind: 'flaky' }, maxAttempts: 3 });
    const failed = await tenant.wait(fatal.id, { timeoutMs: 10_000 });
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { message: 'bad input', retryable: false },
    });
    const done = await tenant.wait(flaky.id, { timeoutMs: 10_000 });
    expect(done).toMatchObject({ status: 'completed', attempts: 2, result: { attempt: 2 } });
  });

  it('stops gracefully: a job that outlives the grace goes back to the queue, and the worker deregisters', async () => {
    const { live, tenant, start } = await setup();
    const worker = await start({ handler: (_job, { signal }) => abortable(signal) });
    const job = await tenant.submit({ queue: 'render' });
    await waitFor(async () => (await tenant.get(job.id)).status === 'running');
    const started = Date.now();
    await worker.stop(100);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await tenant.get(job.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await live.ops.workers()).items).toEqual([]);
    expect(worker.state).toBe('stopped');
  });

  it('keeps trying while the server is away and works once it is up', async () => {
    const port = await freePort();
    const worker = new Worker({
      url: `http://127.0.0.1:${port}`,
      key: 'jg-live-test-admin-key',
      queues: ['render'],
      handleSignals: false,
      reconnect: { baseMs: 50, maxMs: 200 },
      handler: () => ({ ok: true }),
    });
    const errors: unknown[] = [];
    worker.on('error', (error) => errors.push(error));
    workers.push(worker);
    const registered = worker.start();
    await waitFor(() => errors.length >= 2, { message: 'connection errors while the server is away' });
    const live = await startLiveServer({ port });
    servers.push(live);
    await registered;
    const job = await live.admin.submit({ queue: 'render' });
    expect((await live.admin.wait(job.id, { timeoutMs: 10_000 })).status).toBe('completed');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
