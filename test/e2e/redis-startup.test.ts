/**
 * `jobgate serve` against a Redis that is down, or that refuses the password, at start:
 * the server starts anyway in `degraded`, says why in one line (credentials redacted),
 * keeps retrying, and becomes `ok` — jobs running — once Redis answers.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { killAll, repoRoot, startJobgate } from '../helpers/children.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

const adminKey = 'jg-startup-admin-key';
let redis: TestRedis | undefined;

afterEach(async () => {
  await killAll();
  await redis?.stop();
  redis = undefined;
});

async function health(url: string): Promise<{ status: string }> {
  return (await (await fetch(`${url}/health`)).json()) as { status: string };
}

/** A config whose `sleep` queue keeps one pool worker (a `jobgate worker` process). */
function poolConfig(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'jobgate-startup-')), 'jobgate.config.json');
  const handlers = join(repoRoot, 'test', 'fixtures', 'handlers.mjs');
  writeFileSync(
    file,
    JSON.stringify({ queues: { sleep: { pool: { min: 1, max: 1, idleTimeoutSec: 60, handlers } } } }),
  );
  return file;
}

async function submitAndWait(url: string, queue = 'demo'): Promise<void> {
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  const submitted = await fetch(`${url}/api/v1/jobs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ queue, payload: { ms: 10 } }),
  });
  expect(submitted.status).toBe(202);
  const { id } = (await submitted.json()) as { id: string };
  await waitFor(
    async () => {
      const job = (await (await fetch(`${url}/api/v1/jobs/${id}`, { headers })).json()) as { status: string };
      return job.status === 'completed';
    },
    { timeoutMs: 20_000, message: `the ${queue} job completes` },
  );
}

describe('serve when Redis is not there at start', () => {
  it('starts degraded, logs one line, and recovers when Redis starts: handlers and pools run', async () => {
    redis = await startRedis();
    await redis.stop();
    const server = await startJobgate(['--store', redis.url, '--demo', '--config', poolConfig()], {
      JOBGATE_ADMIN_KEY: adminKey,
    });
    expect((await health(server.url)).status).toBe('degraded');
    const refused = await fetch(`${server.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ queue: 'demo' }),
    });
    expect(refused.status).toBe(503);
    // Several retries later, still one line.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const line = `store unreachable: redis://127.0.0.1:${redis.port} (ECONNREFUSED), retrying`;
    expect(server.output().split(line).length - 1, server.output()).toBe(1);
    // Nor does every background loop repeat the outage on each tick: one line each at most.
    for (const loop of ['webhooks', 'pool', 'artifact sweep'])
      expect(server.output().split(`jobgate: ${loop}:`).length - 1, server.output()).toBeLessThanOrEqual(1);
    expect(server.output()).not.toMatch(/\n\s+at /);

    await redis.start();
    await waitFor(async () => (await health(server.url)).status === 'ok', {
      timeoutMs: 5_000,
      message: 'health ok after Redis starts',
    });
    await submitAndWait(server.url);
    // The pool started once the store answered (its worker key lives in the store).
    await submitAndWait(server.url, 'sleep');
  }, 60_000);

  it('names a wrong password in one line, never prints it, and recovers when it matches', async () => {
    const password = 's3cret-pw';
    redis = await startRedis({ password });
    const url = `redis://:${password}-old@127.0.0.1:${redis.port}`;
    const server = await startJobgate(['--store', url, '--demo'], { JOBGATE_ADMIN_KEY: adminKey });
    expect((await health(server.url)).status).toBe('degraded');
    await waitFor(() => /WRONGPASS/.test(server.output()), { message: 'the WRONGPASS line' });
    expect(server.output()).toContain(
      `store unreachable: redis://:***@127.0.0.1:${redis.port} (WRONGPASS: check the password in JOBGATE_STORE), retrying`,
    );
    // The operator fixes the password on the Redis side; the server connects by itself.
    const admin = new Redis(redis.port, '127.0.0.1', { password });
    await admin.config('SET', 'requirepass', `${password}-old`);
    admin.disconnect();
    await waitFor(async () => (await health(server.url)).status === 'ok', {
      timeoutMs: 5_000,
      message: 'health ok once the password matches',
    });
    await submitAndWait(server.url);
    expect(server.output()).toContain(`(store: redis redis://:***@127.0.0.1:${redis.port}, demo queue on)`);
    expect(server.output()).not.toContain(password);
  }, 40_000);
});
