/** Queue policies: from the config file and live over PATCH, applied to submits and retries, shown in status. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { validateConfig } from '../../src/config/load-config.js';
import { Engine } from '../../src/engine/engine.js';
import { systemPrincipal } from '../../src/engine/principal.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const adminKey = 'test-admin-key';

describe('queue policies over HTTP', () => {
  let server: RunningServer;

  beforeEach(async () => {
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      db: ':memory:',
      demo: false,
      config: validateConfig({ queues: { pipelines: { timeoutMs: 300_000, maxAttempts: 5 } } }),
      adminKey,
      graceMs: 200,
    });
  });
  afterEach(async () => {
    await server.close();
  });

  const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) => {
    const response = await server.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${adminKey}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: a test reads loosely typed JSON bodies
    return { status: response.statusCode, body: response.json() as any };
  };

  it('gives a job the config file’s queue defaults unless the submit sets its own', async () => {
    const plain = await call('POST', '/jobs', { queue: 'pipelines' });
    expect(plain.body).toMatchObject({ timeoutMs: 300_000, maxAttempts: 5, priority: 5 });
    const own = await call('POST', '/jobs', { queue: 'pipelines', timeoutMs: 1_000, maxAttempts: 1 });
    expect(own.body).toMatchObject({ timeoutMs: 1_000, maxAttempts: 1 });
    const other = await call('POST', '/jobs', { queue: 'elsewhere' });
    expect(other.body).toMatchObject({ timeoutMs: null, maxAttempts: 3 });
    const status = await call('GET', '/queues/pipelines/status');
    expect(status.body.policy).toMatchObject({
      timeoutMs: 300_000,
      maxAttempts: 5,
      priority: 5,
      maxQueued: null,
      set: ['timeoutMs', 'maxAttempts'],
    });
  });

  it('changes a policy live, caps the queue, resets a field with null, and refuses bad fields', async () => {
    const changed = await call('PATCH', '/queues/tests', {
      timeoutMs: 300_000,
      priority: 2,
      maxQueued: 1,
      backoff: { type: 'fixed', baseMs: 5_000 },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      queue: 'tests',
      policy: { timeoutMs: 300_000, priority: 2, maxQueued: 1, backoff: { type: 'fixed', baseMs: 5_000 } },
    });
    expect((await call('POST', '/jobs', { queue: 'tests' })).body).toMatchObject({
      timeoutMs: 300_000,
      priority: 2,
    });
    const full = await call('POST', '/jobs', { queue: 'tests' });
    expect(full.status).toBe(503);
    expect(full.body.error.code).toBe('JOBGATE_ERR_QUEUE_FULL');
    await call('PATCH', '/queues/tests', { maxQueued: null, timeoutMs: null });
    expect((await call('POST', '/jobs', { queue: 'tests' })).body).toMatchObject({
      timeoutMs: null,
      priority: 2,
    });
    for (const bad of [
      { timeoutMs: 0 },
      { backoff: { type: 'linear', baseMs: 1 } },
      { priority: 11 },
      { color: 'red' },
    ]) {
      const answer = await call('PATCH', '/queues/tests', bad);
      expect(answer.status, JSON.stringify(bad)).toBe(400);
      expect(answer.body.error.code).toBe('JOBGATE_ERR_VALIDATION');
    }
    // A pool change on a queue without a pool is refused, and nothing else changes with it.
    const pool = await call('PATCH', '/queues/tests', { min: 1, priority: 9 });
    expect(pool.status).toBe(422);
    expect((await call('GET', '/queues/tests/status')).body.policy.priority).toBe(2);
  });
});

describe('queue policy backoff', () => {
  it('retries a failed attempt after the queue’s fixed backoff, not the server’s', async () => {
    let now = Date.UTC(2026, 0, 15, 12, 0, 0);
    const store = new SqliteStore({ file: ':memory:', clock: () => now });
    const engine = new Engine({
      store,
      retry: { baseDelayMs: 60_000, factor: 2, maxDelayMs: 600_000, jitter: 0 },
    });
    try {
      await engine.policies.patch('render', { backoff: { type: 'fixed', baseMs: 2_000 } });
      for (const [queue, delay] of [
        ['render', 2_000],
        ['plain', 60_000],
      ] as const) {
        await engine.submit({ queue }, systemPrincipal);
        for (let attempt = 1; attempt <= 2; attempt++) {
          const [job] = await engine.claim({ queue, workerId: 'w', limit: 1 });
          const failed = await engine.fail(
            { id: job!.id, token: job!.leaseToken },
            { message: 'x', retryable: true },
            job!.attempts,
            queue,
          );
          expect(failed.status).toBe('scheduled');
          const expected = queue === 'render' ? delay : delay * 2 ** (attempt - 1);
          expect(failed.runAt! - now).toBe(expected);
          now = failed.runAt!;
          await engine.services.promoter.runOnce();
        }
      }
    } finally {
      await store.close();
    }
  });
});
