/**
 * A Redis that stops answering (SIGSTOP: the socket stays open, nothing comes back) and one
 * that is gone (stopped): the API answers within its bounds — submits 503 + Retry-After
 * within 2 s, reads 503 or their documented partial answer — and a submit that was on the
 * wire when Redis froze is found again through its Idempotency-Key, never doubled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

const adminKey = 'jg-hang-admin-key';
let redis: TestRedis | undefined;
let server: RunningServer | undefined;
let frozen = false;

afterEach(async () => {
  const pid = redis?.pid();
  if (frozen && pid) process.kill(pid, 'SIGCONT');
  frozen = false;
  await server?.close();
  await redis?.stop();
  server = undefined;
  redis = undefined;
});

async function call(method: string, path: string, key: string, body?: unknown, headers = {}) {
  const started = performance.now();
  const response = await fetch(`${server!.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    // A hung answer fails the test instead of hanging it.
    signal: AbortSignal.timeout(8_000),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    // biome-ignore lint/suspicious/noExplicitAny: a test reads the answers' fields directly
    body: (await response.json()) as Record<string, any>,
    ms: performance.now() - started,
  };
}

async function startOnRedis(): Promise<string> {
  redis = await startRedis();
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    db: ':memory:',
    demo: false,
    storeUrl: redis.url,
    adminKey,
    graceMs: 200,
  });
  const created = await call('POST', '/api/v1/keys', adminKey, {
    owner: 'acme',
    role: 'tenant',
    tier: 'pro',
  });
  expect(created.status).toBe(201);
  return created.body.key as string;
}

const health = async () => (await (await fetch(`${server!.url}/health`)).json()) as { status: string };

describe('a hung Redis (SIGSTOP)', () => {
  it('answers submits 503 + Retry-After within 2 s; a retry with the same Idempotency-Key finds the job', async () => {
    const tenant = await startOnRedis();
    const first = await call('POST', '/api/v1/jobs', tenant, { queue: 'idle' });
    expect(first.status).toBe(202);

    process.kill(redis!.pid()!, 'SIGSTOP');
    frozen = true;
    const admin = await call('POST', '/api/v1/jobs', adminKey, { queue: 'idle' });
    expect(admin.status).toBe(503);
    expect(admin.body.error.code).toBe('JOBGATE_ERR_STORE_UNAVAILABLE');
    expect(Number(admin.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(admin.ms).toBeLessThan(2_000);
    // It was on the wire when Redis froze: the answer says it may still take effect.
    expect(admin.body.error.details).toEqual({ outcome: 'unknown' });

    const keyed = await call('POST', '/api/v1/jobs', tenant, { queue: 'idle' }, { 'idempotency-key': 'k-1' });
    expect(keyed.status).toBe(503);
    expect(keyed.retryAfter).not.toBeNull();
    expect(keyed.ms).toBeLessThan(2_000);

    const read = await call('GET', `/api/v1/jobs/${first.body.id}`, tenant);
    expect(read.status).toBe(503);
    expect(read.ms).toBeLessThan(2_000);
    const status = await call('GET', '/api/v1/queues/idle/status', tenant);
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('unknown');
    expect(status.ms).toBeLessThan(2_500);
    expect((await health()).status).toBe('degraded');

    process.kill(redis!.pid()!, 'SIGCONT');
    frozen = false;
    await waitFor(async () => (await health()).status === 'ok', { timeoutMs: 5_000, message: 'health ok' });
    const retried = await call(
      'POST',
      '/api/v1/jobs',
      tenant,
      { queue: 'idle' },
      { 'idempotency-key': 'k-1' },
    );
    expect([200, 202]).toContain(retried.status);
    const again = await call('POST', '/api/v1/jobs', tenant, { queue: 'idle' }, { 'idempotency-key': 'k-1' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(retried.body.id);
    // The tenant's jobs: the first one and the keyed one, once — nothing doubled by the hang.
    const listed = await call('GET', '/api/v1/jobs?queue=idle', tenant);
    expect(listed.body.items.map((job: { id: string }) => job.id).sort()).toEqual(
      [first.body.id, retried.body.id].sort(),
    );
  }, 30_000);
});

describe('a stopped Redis', () => {
  it('gives a tenant the same partial queue status as an admin (200, status unknown)', async () => {
    const tenant = await startOnRedis();
    expect((await call('GET', '/api/v1/queues/idle/status', tenant)).status).toBe(200);
    await redis!.stop();
    await waitFor(async () => (await health()).status === 'degraded', {
      timeoutMs: 2_000,
      message: 'degraded',
    });
    for (const key of [adminKey, tenant]) {
      const status = await call('GET', '/api/v1/queues/idle/status', key);
      expect(status.status, key).toBe(200);
      expect(status.body).toMatchObject({ queue: 'idle', status: 'unknown', jobs: null });
      expect(status.body.errors[0].code).toBe('JOBGATE_ERR_STORE_UNAVAILABLE');
    }
    const submit = await call('POST', '/api/v1/jobs', tenant, { queue: 'idle' });
    expect(submit.status).toBe(503);
    expect(submit.retryAfter).not.toBeNull();
  }, 30_000);
});
