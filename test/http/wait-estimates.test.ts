/**
 * The estimated wait and position a caller sees (docs/CAPACITY.md, "Estimated wait"):
 * zero with idle slots, null with a reason when nothing can start the job (paused, no
 * worker), the owner's and project's limits counted, and never `queued` without a place.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { QueueStatus } from '../../src/engine/queue-status.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { unlimitedOwner } from '../../src/store/store.js';
import { createTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

interface Answer {
  id: string;
  status: string;
  position: number | null;
  estimatedWait: {
    seconds: number | null;
    confidence: string;
    reason?: string;
    coldStartSeconds?: number | null;
  } | null;
}

function gate() {
  const waiting: Array<() => void> = [];
  return {
    handler: () => new Promise<null>((resolve) => waiting.push(() => resolve(null))),
    release() {
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

const submit = async (body: Record<string, unknown>) => {
  const response = await server!.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: body });
  expect(response.statusCode, response.body).toBe(202);
  return response.json<Answer>();
};
const view = async (id: string) =>
  (await server!.app.inject({ method: 'GET', url: `/api/v1/jobs/${id}` })).json<Answer>();
const status = async (queue: string) =>
  (await server!.app.inject({ method: 'GET', url: `/api/v1/queues/${queue}/status` })).json<QueueStatus>();

describe('estimated wait', () => {
  it('is 0 for a new job while slots are idle and nothing is queued', async () => {
    server = await createTestServer({
      setup: (w) => w.register('work', async () => null, { concurrency: 2 }),
    });
    // A few runs so the estimator has a mean (the bug multiplied it by a full queue).
    for (let i = 0; i < 3; i++) await submit({ queue: 'work' });
    await waitFor(async () => (await status('work')).jobs?.completed === 3, { message: 'three runs' });
    const idle = await status('work');
    expect(idle.workers).toMatchObject({ idle: 2, running: 0 });
    expect(idle.estimatedWait).toMatchObject({ seconds: 0 });
  });

  it('is null with reason no_workers for a queue nobody serves, and paused for a paused queue', async () => {
    const held = gate();
    server = await createTestServer({ setup: (w) => w.register('served', held.handler) });
    const cold = await submit({ queue: 'nobody' });
    expect(cold).toMatchObject({ status: 'queued', position: 1 });
    expect(cold.estimatedWait).toMatchObject({ seconds: null, reason: 'no_workers' });
    expect((await view(cold.id)).estimatedWait).toMatchObject({ seconds: null, reason: 'no_workers' });
    expect((await status('nobody')).estimatedWait).toMatchObject({ seconds: null, reason: 'no_workers' });

    await server.app.inject({ method: 'POST', url: '/api/v1/queues/served/pause' });
    const paused = await submit({ queue: 'served' });
    expect(paused).toMatchObject({ status: 'queued', position: 1 });
    expect(paused.estimatedWait).toMatchObject({ seconds: null, reason: 'paused' });
    expect((await status('served')).estimatedWait).toMatchObject({ seconds: null, reason: 'paused' });
    await server.app.inject({ method: 'POST', url: '/api/v1/queues/served/resume' });
    await waitFor(() => held.held === 1, { message: 'the job running after resume' });
    held.release();
  });

  it('counts the owner’s limit: a job behind its owner’s own running job waits a run', async () => {
    const held = gate();
    server = await createTestServer({
      // capacityFor as a server sets it: the queue's four slots.
      engine: { capacityFor: () => 4, limitsFor: () => ({ ...unlimitedOwner, maxConcurrentPerUser: 1 }) },
      setup: (w) => w.register('render', held.handler, { concurrency: 4 }),
    });
    const first = await submit({ queue: 'render' });
    await waitFor(() => held.held === 1, { message: 'the first job running' });
    expect((await view(first.id)).status).toBe('running');
    const second = await submit({ queue: 'render' });
    const third = await submit({ queue: 'render' });
    expect(second.status).toBe('queued');
    // Three of four slots are idle, but the owner may run one job at a time: a full run
    // (the 1 s prior before any sample) for the second, two for the third.
    expect(second.estimatedWait?.seconds).toBe(1);
    expect(third.estimatedWait?.seconds).toBe(2);
    expect((await view(third.id)).estimatedWait?.seconds).toBe(2);
    held.release();
    await waitFor(() => held.held === 1, { message: 'the second job running' });
    expect((await view(third.id)).estimatedWait?.seconds).toBeGreaterThan(0);
    held.release();
    await waitFor(() => held.held === 1, { message: 'the third job running' });
    held.release();
  });

  it('counts a tenant-scoped owner limit across queues', async () => {
    const held = gate();
    server = await createTestServer({
      engine: {
        capacityFor: () => 4,
        limitsFor: () => ({ ...unlimitedOwner, maxConcurrentPerUser: 1, limitScope: 'tenant' }),
      },
      setup: (w) => {
        w.register('a', held.handler, { concurrency: 4 });
        w.register('b', held.handler, { concurrency: 4 });
      },
    });
    await submit({ queue: 'a' });
    await waitFor(() => held.held === 1, { message: 'the job of queue a running' });
    const other = await submit({ queue: 'b' });
    expect(other.status).toBe('queued');
    expect(other.estimatedWait?.seconds).toBe(1);
    held.release();
    await waitFor(() => held.held === 1, { message: 'the job of queue b running' });
    held.release();
  });

  it('counts the project’s limit within an owner', async () => {
    const held = gate();
    server = await createTestServer({
      engine: { capacityFor: () => 4, limitsFor: () => ({ ...unlimitedOwner, maxConcurrentPerProject: 1 }) },
      setup: (w) => w.register('render', held.handler, { concurrency: 4 }),
    });
    await submit({ queue: 'render', projectId: 'a' });
    await waitFor(() => held.held === 1, { message: 'project a running' });
    const sameProject = await submit({ queue: 'render', projectId: 'a' });
    const otherProject = await submit({ queue: 'render', projectId: 'b' });
    expect(sameProject.estimatedWait?.seconds).toBe(1);
    // Project b has its own allowance: it starts at once (answered running, or queued with no wait).
    if (otherProject.status === 'queued') expect(otherProject.estimatedWait?.seconds).toBe(0);
    await waitFor(() => held.held === 2, { message: 'project b running' });
    held.release();
    await waitFor(() => held.held === 1, { message: 'project a’s second job' });
    held.release();
  });
});

/** A store where a worker's claim lands between a submit's admission and its position read. */
class RacingStore extends SqliteStore {
  raced = 0;
  override async position(id: string): Promise<number | null> {
    if (this.raced === 0) {
      this.raced += 1;
      await this.claim({ queue: 'race', workerId: 'other-server-worker', limit: 1, leaseMs: 5_000 });
    }
    return super.position(id);
  }
}

describe('position', () => {
  it('never answers queued without a position: a job taken meanwhile is answered running', async () => {
    const store = new RacingStore({ file: ':memory:' });
    server = await createTestServer({ store });
    const answer = await submit({ queue: 'race' });
    expect(store.raced).toBe(1);
    expect(answer.status === 'queued' && answer.position === null).toBe(false);
    expect(answer).toMatchObject({ status: 'running', position: null, estimatedWait: null });
  });
});
