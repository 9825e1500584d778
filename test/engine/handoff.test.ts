/**
 * A submit to a queue whose in-process worker is idle claims for that worker in the
 * admission's own step (store.admitAndClaim). The job is answered running, the event
 * stream still reads created → queued → running, and on Redis the submit is one script
 * call with no claim after it.
 */
import { describe, expect, it } from 'vitest';
import type { ClaimedJob } from '../../src/domain/job.js';
import { Engine } from '../../src/engine/engine.js';
import type { JobEvent } from '../../src/engine/events.js';
import { systemPrincipal } from '../../src/engine/principal.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobStore } from '../../src/store/store.js';
import { InProcessWorkers } from '../../src/worker/in-process-workers.js';
import { redisCallCounts } from '../helpers/redis-call-counts.js';
import { startRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

const redis = redisCallCounts();

/** An engine with one in-process worker of `concurrency` slots whose handler waits for `release`. */
async function withWorker(
  store: JobStore,
  concurrency: number,
  use: (context: {
    engine: Engine;
    workerId: string;
    started: ClaimedJob[];
    events: JobEvent[];
    release: () => void;
  }) => Promise<void>,
): Promise<void> {
  const engine = new Engine({ store });
  const workers = new InProcessWorkers(engine);
  const started: ClaimedJob[] = [];
  const events: JobEvent[] = [];
  engine.events.subscribe((event) => events.push(event));
  let release!: () => void;
  let gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const worker = workers.register(
    'q',
    async (job) => {
      started.push(job as ClaimedJob);
      await gate;
    },
    { concurrency, pollMs: 60_000 },
  );
  workers.start();
  // The worker's first claim finds nothing; it then sleeps until work arrives.
  await new Promise((resolve) => setTimeout(resolve, 50));
  try {
    await use({
      engine,
      workerId: worker.workerId,
      started,
      events,
      release: () => {
        release();
        gate = new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
  } finally {
    release();
    await workers.stop(1_000);
    await engine.stop();
  }
}

const stores: Array<[string, (use: (store: JobStore) => Promise<void>) => Promise<void>]> = [
  [
    'sqlite',
    async (use) => {
      const store = new SqliteStore({ file: ':memory:' });
      try {
        await use(store);
      } finally {
        await store.close();
      }
    },
  ],
  ['redis', (use) => redis.withStore(use)],
];

describe.each(stores)('a submit to an idle in-process worker (%s)', (_name, withStore) => {
  it('is leased in the admission step: answered running, events created → queued → running', async () => {
    await withStore((store) =>
      withWorker(store, 2, async ({ engine, workerId, started, events, release }) => {
        const { job } = await engine.submit({ queue: 'q', payload: { n: 1 } }, systemPrincipal);
        expect(job).toMatchObject({ status: 'running', attempts: 1, workerId });
        await waitFor(async () => started.length === 1);
        expect(started[0]).toMatchObject({ id: job.id, payload: { n: 1 }, attempts: 1 });
        expect(events.filter((e) => e.job.id === job.id).map((e) => e.kind)).toEqual([
          'created',
          'queued',
          'running',
        ]);
        // The second slot is still idle: the next submit goes to it the same way.
        const second = await engine.submit({ queue: 'q' }, systemPrincipal);
        expect(second.job.status).toBe('running');
        // Both slots busy: a third job waits in the queue.
        const third = await engine.submit({ queue: 'q' }, systemPrincipal);
        expect(third.job.status).toBe('queued');
        release();
        await waitFor(async () => started.length === 3);
        release();
        await waitFor(async () => (await engine.counts('q')).completed === 3);
      }),
    );
  });
});

describe('a submit to an idle in-process worker (redis calls)', () => {
  it('is one script call: no claim follows the admission', async () => {
    await redis.withStore((store) =>
      withWorker(store, 1, async ({ engine, started, release }) => {
        // A configured queue: a submit to an unknown one also registers it (once a minute).
        await engine.configureQueue({ queue: 'q', maxWorkers: null, maxQueued: null });
        const before = await redis.fcalls();
        await engine.submit({ queue: 'q' }, systemPrincipal);
        await waitFor(async () => started.length === 1);
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect((await redis.fcalls()) - before).toBe(1);
        release();
      }),
    );
  });
});

describe('a submit to an idle in-process worker while Redis is away', () => {
  it('fails as any submit does, and the worker takes the next job once Redis is back', async () => {
    const server = await startRedis();
    const store = new RedisStore({ url: server.url, prefix: 'away' });
    await store.connect();
    try {
      await withWorker(store, 1, async ({ engine, started, release }) => {
        await server.stop();
        await expect(engine.submit({ queue: 'q' }, systemPrincipal)).rejects.toMatchObject({
          code: 'JOBGATE_ERR_STORE_UNAVAILABLE',
        });
        await server.start();
        // The held slot was given back: the next submit is leased in its own step again.
        let job: Awaited<ReturnType<Engine['submit']>>['job'] | undefined;
        await waitFor(
          async () => {
            job = (await engine.submit({ queue: 'q' }, systemPrincipal).catch(() => undefined))?.job;
            return job !== undefined;
          },
          { timeoutMs: 10_000 },
        );
        await waitFor(async () => started.length === 1);
        expect(started[0]!.id).toBe(job!.id);
        release();
      });
    } finally {
      await store.close();
      await server.stop();
    }
  });
});
