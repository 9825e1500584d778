import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClaimedJob } from '../../src/domain/job.js';
import { Engine } from '../../src/engine/engine.js';
import { systemPrincipal } from '../../src/engine/principal.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { HandlerContext, JobHandler } from '../../src/worker/handler.js';
import { InProcessWorkers } from '../../src/worker/in-process-workers.js';
import { QueueWorker } from '../../src/worker/queue-worker.js';
import type { WorkerBackend } from '../../src/worker/worker-backend.js';
import { waitFor } from '../helpers/wait-for.js';

describe('in-process worker runtime', () => {
  let store: SqliteStore;
  let engine: Engine;
  let workers: InProcessWorkers;

  beforeEach(() => {
    store = new SqliteStore({ file: ':memory:' });
    engine = new Engine({ store, leaseMs: 300, intervals: { promoteMs: 20, reapMs: 30, purgeMs: 60_000 } });
    workers = new InProcessWorkers(engine);
  });
  afterEach(async () => {
    await workers.stop(100);
    await engine.stop();
    await store.close();
  });

  const submit = async (queue: string, extra: Record<string, unknown> = {}) =>
    (await engine.submit({ queue, ...extra }, systemPrincipal)).job.id;
  const status = async (id: string) => (await store.get(id))?.status;

  it('lets running jobs finish within the grace period on shutdown', async () => {
    workers.register('q', async () => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return 'finished';
    });
    workers.start();
    const id = await submit('q');
    await waitFor(async () => (await status(id)) === 'running');
    await workers.stop(2_000);
    expect(await store.get(id)).toMatchObject({ status: 'completed', result: 'finished' });
  });

  it('releases leases of jobs still running after the grace period, without spending the attempt', async () => {
    const reasons: unknown[] = [];
    workers.register('q', (_job, { signal }: HandlerContext) => {
      signal.addEventListener('abort', () => reasons.push(signal.reason));
      return new Promise(() => {});
    });
    workers.start();
    const id = await submit('q');
    await waitFor(async () => (await status(id)) === 'running');
    await workers.stop(50);
    expect(await store.get(id)).toMatchObject({ status: 'queued', attempts: 0, workerId: null });
    expect(reasons).toEqual(['shutdown']);
  });

  it('keeps a long job alive with heartbeats past its lease', async () => {
    workers.register('q', async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      return 'ok';
    });
    workers.start();
    engine.start();
    const id = await submit('q');
    await waitFor(async () => (await status(id)) === 'completed', { timeoutMs: 5_000 });
    expect((await store.get(id))?.attempts).toBe(1);
  });

  it('aborts the handler on cancel at once and ends the job cancelled', async () => {
    let aborted: unknown = null;
    workers.register('q', (_job, { signal }: HandlerContext) => {
      return new Promise((_, reject) => {
        signal.addEventListener('abort', () => {
          aborted = signal.reason;
          reject(new Error('stopped'));
        });
      });
    });
    workers.start();
    const id = await submit('q');
    await waitFor(async () => (await status(id)) === 'running');
    await engine.cancel(id, systemPrincipal);
    await waitFor(async () => (await status(id)) === 'cancelled', { timeoutMs: 1_000 });
    expect(aborted).toBe('cancelled');
  });

  it("gives a signal first read after the attempt ended already aborted, with the attempt's reason", async () => {
    // The signal is made when first read: a late reader must see what an early one saw.
    const contexts: HandlerContext[] = [];
    workers.register('q', (_job, ctx: HandlerContext) => {
      contexts.push(ctx);
      return 'done';
    });
    workers.start();
    const id = await submit('q');
    await waitFor(async () => (await status(id)) === 'completed');
    await waitFor(() => contexts.length === 1 && workers.list()[0]!.running === 0);
    expect(contexts[0]!.signal.aborted).toBe(true);
    expect(contexts[0]!.signal.reason).toBe('shutdown');
  });

  it('fails an attempt on timeout even when the handler ignores its signal', async () => {
    workers.register('q', () => new Promise(() => {}));
    workers.start();
    const id = await submit('q', { timeoutMs: 50, maxAttempts: 1 });
    await waitFor(async () => (await status(id)) === 'failed');
    expect((await store.get(id))?.error?.message).toMatch(/Timed out after 50 ms/);
  });

  it('never writes a late result once the lease was lost', async () => {
    let release: (value: unknown) => void = () => {};
    const reasons: unknown[] = [];
    workers.register(
      'q',
      (_job, { signal }: HandlerContext) => {
        signal.addEventListener('abort', () => reasons.push(signal.reason));
        return new Promise((resolve) => {
          release = resolve;
        });
      },
      // Heartbeats far apart: the reaper takes the job back and a second claim gets a fresh token.
      { pollMs: 10_000, heartbeatMs: 60_000 },
    );
    workers.start();
    engine.start();
    const id = await submit('q', { maxAttempts: 5 });
    await waitFor(async () => (await store.get(id))?.attempts === 1 && (await status(id)) === 'running');
    await waitFor(async () => (await status(id)) === 'queued', { timeoutMs: 3_000 });
    // No reaper from here on, so the new holder keeps its lease however slow this machine is.
    await engine.stop();
    const [stolen] = await engine.claim({ queue: 'q', workerId: 'other', limit: 1 });
    release('late result');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await store.get(id)).toMatchObject({ status: 'running', workerId: 'other', result: null });
    await engine.complete({ id, token: stolen!.leaseToken }, 'right result');
    expect((await store.get(id))?.result).toBe('right result');
  });

  it('fails a job whose result cannot be stored as JSON, instead of stranding it', async () => {
    workers.register('q', () => ({ big: 10n }));
    workers.start();
    const id = await submit('q', { maxAttempts: 3 });
    await waitFor(async () => (await status(id)) === 'failed');
    expect(await store.get(id)).toMatchObject({ attempts: 1, error: { retryable: false } });
    expect((await store.get(id))?.error?.message).toMatch(/cannot be stored as JSON/);
  });
});

/**
 * A worker backend that does nothing but what a case overrides, and hands the worker's
 * wake callback to `onWake` (when the case wants it).
 */
function fakeBackend(
  overrides: Partial<WorkerBackend>,
  onWake?: (wake: (jobId: string) => void) => void,
): WorkerBackend {
  return {
    leaseMs: 60_000,
    claim: async () => [],
    complete: async () => undefined,
    fail: async () => undefined,
    release: async () => undefined,
    progress: async () => undefined,
    heartbeat: async () => ({ extended: [], lost: [], cancel: [] }),
    ...(onWake
      ? {
          onWork: (_queue: string, callback: (jobId: string) => void) => {
            onWake(callback);
            return () => {};
          },
        }
      : {}),
    ...overrides,
  };
}

/** A claimed job with just what the worker reads. */
const leased = (id: string) =>
  ({ id, leaseToken: `t-${id}`, attempts: 1, timeoutMs: null }) as unknown as ClaimedJob;

/** A started worker of two slots whose claims find nothing (their limits are recorded), once it sleeps. */
async function idleTwoSlotWorker(
  overrides: Partial<WorkerBackend> = {},
  handler: JobHandler = async () => {},
) {
  const claims: number[] = [];
  const backend = fakeBackend({
    claim: async ({ limit }) => {
      claims.push(limit);
      return [];
    },
    ...overrides,
  });
  const worker = new QueueWorker({ backend, queue: 'q', handler, concurrency: 2, pollMs: 10_000 });
  worker.start();
  await waitFor(async () => claims.length === 1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  return { worker, claims };
}

describe('queue worker wakes', () => {
  it('claims work that announced itself while every slot was busy, after a completion that found none', async () => {
    // One slot. Job a's completion claims for the slot and finds the queue empty; job b
    // arrives (and wakes the worker) while that completion is still on the wire. The
    // worker must then claim b at once, not at its next poll.
    const queued: ClaimedJob[] = [];
    let wake: ((jobId: string) => void) | null = null;
    let finishCompletion!: () => void;
    const started: string[] = [];
    const backend = fakeBackend(
      {
        claim: async ({ limit }) => queued.splice(0, limit),
        completeAndClaim: async () => {
          const next = queued.splice(0, 1); // a's: nothing queued yet, the queue looks empty
          if (started.length === 1) {
            await new Promise<void>((resolve) => {
              finishCompletion = resolve;
            });
          }
          return next;
        },
      },
      (callback) => {
        wake = callback;
      },
    );
    queued.push(leased('a'));
    const worker = new QueueWorker({
      backend,
      queue: 'q',
      handler: async (claimed) => void started.push(claimed.id),
      pollMs: 10_000,
      heartbeatMs: 60_000,
    });
    worker.start();
    await waitFor(async () => started.includes('a') && finishCompletion !== undefined);
    queued.push(leased('b'));
    wake!('b');
    finishCompletion();
    await waitFor(async () => started.includes('b'), { timeoutMs: 1_000 });
    await worker.stop(100);
  });

  it("does not claim again for its own job's completion event when that completion's claim found nothing", async () => {
    // The engine publishes `completed` before completeAndClaim returns, while the job
    // still holds its slot. The settle already knows the queue is empty: a wake on that
    // event would cost one claim that finds nothing for every lone job.
    let claims = 0;
    let wake: ((jobId: string) => void) | null = null;
    let settled = false;
    const backend = fakeBackend(
      {
        claim: async () => {
          claims++;
          return claims === 1 ? [leased('a')] : [];
        },
        completeAndClaim: async (lease) => {
          wake!(lease.id);
          return [];
        },
      },
      (callback) => {
        wake = callback;
      },
    );
    const worker = new QueueWorker({
      backend,
      queue: 'q',
      handler: async () => {},
      pollMs: 10_000,
      heartbeatMs: 60_000,
    });
    worker.on('settled', () => {
      settled = true;
    });
    worker.start();
    await waitFor(async () => settled);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(claims).toBe(1);
    // Another job's event still wakes it.
    wake!('b');
    await waitFor(async () => claims === 2, { timeoutMs: 1_000 });
    await worker.stop(100);
  });

  it('holds reserved slots from its own claims, and gives back leases filled after it stopped', async () => {
    const released: string[] = [];
    const { worker, claims } = await idleTwoSlotWorker({
      release: async (lease) => void released.push(lease.id),
    });
    const slots = worker.reserveIdle();
    expect(slots?.count).toBe(2);
    // Every slot is held: no second reservation, and a wake claims nothing.
    expect(worker.reserveIdle()).toBeNull();
    worker.wake();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(claims).toEqual([2]);
    // Given back unused: the worker claims for them itself.
    slots!.release();
    await waitFor(async () => claims.length === 2);
    expect(claims).toEqual([2, 2]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const late = worker.reserveIdle();
    await worker.stop(100);
    late!.fill([leased('j1')]);
    await waitFor(async () => released.includes('j1'));
  });

  it('claims for a held slot left unfilled when work announced itself while it was held', async () => {
    const { worker, claims } = await idleTwoSlotWorker({}, () => new Promise(() => {}));
    const slots = worker.reserveIdle();
    // Another submit's job arrives while both slots are held: its wake finds none free.
    worker.wake();
    slots!.fill([leased('j1')]);
    await waitFor(async () => claims.length === 2, { timeoutMs: 1_000 });
    expect(claims).toEqual([2, 1]);
    await worker.stop(10);
  });
});
