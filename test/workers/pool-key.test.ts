/**
 * The key a server makes for its own pool workers cannot be revoked from the API (409,
 * saying why), and a pool whose workers cannot authenticate shows as crash-looping with
 * the reason, instead of jobs sitting at running 0 % while every new worker dies.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobgateApiError } from '../../src/client/index.js';
import type { PoolView } from '../../src/client/operator-types.js';
import { LocalProcessProvider } from '../../src/pool/local-process-provider.js';
import { waitFor } from '../helpers/wait-for.js';
import { type LiveServer, startLiveServer } from './live-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const handlers = join(here, '..', 'fixtures', 'handlers.mjs');
const bin = join(root, 'bin', 'jobgate.js');

let live: LiveServer | null = null;
let provider: LocalProcessProvider | null = null;

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js')))
    throw new Error('dist/cli/main.js is missing: run `npm run build` before the pool tests');
});

afterEach(async () => {
  await live?.close();
  const leftover = provider?.running() ?? [];
  live = null;
  provider = null;
  expect(leftover).toEqual([]);
});

describe('the pool’s own key', () => {
  it('answers 409 to a revoke of the pool key, which keeps working', async () => {
    provider = new LocalProcessProvider();
    live = await startLiveServer({
      rawConfig: { queues: { sleep: { pool: { min: 0, max: 1, idleTimeoutSec: 60, handlers } } } },
      workerPlane: { pools: { provider } },
    });
    const { items } = await live.admin.listKeys();
    const poolKey = items.find((key) => key.owner === 'jobgate-pool');
    expect(poolKey).toMatchObject({ role: 'worker', revokedAt: null, protected: true });
    const refused = await live.admin.revokeKey(poolKey!.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(JobgateApiError);
    expect(refused).toMatchObject({
      status: 409,
      code: 'JOBGATE_ERR_KEY_PROTECTED',
      message: expect.stringMatching(/pool workers of sleep/),
    });
    expect((await live.admin.listKeys()).items.find((key) => key.id === poolKey!.id)?.revokedAt).toBeNull();
    // Its workers still get in: a job runs.
    const job = await live.admin.submit({ queue: 'sleep', payload: { ms: 10 } });
    expect((await live.admin.wait(job.id, { timeoutMs: 20_000 })).status).toBe('completed');
    // Other keys are revoked as before.
    const other = await live.admin.createKey({ owner: 'w', role: 'worker', tier: 'free' });
    await live.admin.revokeKey(other.record.id);
  }, 30_000);

  it('protects another server’s pool key too (same store), until a forced revoke', async () => {
    live = await startLiveServer();
    // A pool key some other server on this store made: this server holds no memory of it.
    const theirs = await live.admin.createKey({ owner: 'jobgate-pool', role: 'worker', tier: 'free' });
    expect((await live.admin.listKeys()).items.find((key) => key.id === theirs.record.id)?.protected).toBe(
      true,
    );
    const refused = await live.admin.revokeKey(theirs.record.id).catch((error: unknown) => error);
    expect(refused).toMatchObject({
      status: 409,
      code: 'JOBGATE_ERR_KEY_PROTECTED',
      message: expect.stringMatching(/force=true/),
    });
    // The key of a server that is gone: ?force=true revokes it.
    await live.admin.revokeKey(theirs.record.id, { force: true });
    expect(
      (await live.admin.listKeys()).items.find((key) => key.id === theirs.record.id)?.revokedAt,
    ).not.toBeNull();
  }, 30_000);

  it('a worker whose key is revoked while it runs exits saying so (a pool then counts a crash with that reason)', async () => {
    live = await startLiveServer();
    const created = await live.admin.createKey({ owner: 'w', role: 'worker', tier: 'free' });
    const child = spawn(
      process.execPath,
      [bin, 'worker', '--url', live.url, '--handlers', handlers, '--queues', 'sleep'],
      { env: { ...process.env, JOBGATE_KEY: created.key }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => stdout.includes('ready for sleep'), {
        timeoutMs: 15_000,
        message: 'the worker registers',
      });
      await live.admin.revokeKey(created.record.id);
      // Its lease poll was let in before the revoke; the job's completion is refused.
      await live.admin.submit({ queue: 'sleep', payload: { ms: 10 } });
      expect(await exited).toBe(1);
      expect(stderr).toMatch(/the API key was refused \(revoked\?\): stopping/);
      expect(stderr).not.toContain(created.key);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);

  it('shows a pool whose workers cannot authenticate as crash-looping, with the reason', async () => {
    provider = new LocalProcessProvider();
    const badKey = `jg_000000000000_${'x'.repeat(40)}`;
    live = await startLiveServer({
      rawConfig: {
        queues: {
          sleep: {
            pool: {
              min: 1,
              max: 1,
              idleTimeoutSec: 60,
              command: `env JOBGATE_KEY=${badKey} ${process.execPath} ${bin} worker --handlers ${handlers}`,
            },
          },
        },
      },
      workerPlane: { pools: { provider } },
    });
    const pool = () => live!.admin.request<PoolView>('GET', '/api/v1/queues/sleep/pool');
    const looping = await waitFor(
      async () => {
        const view = await pool();
        return view.crashLoop && view.crashLoop.crashes >= 2 ? view : null;
      },
      { timeoutMs: 20_000, message: 'the pool reports a crash loop' },
    );
    expect(looping.crashLoop).toMatchObject({
      reason: expect.stringMatching(/exit code 2: .*cannot register: .*API key is not valid/),
      lastCrashAt: expect.any(String),
      nextStartAt: expect.any(String),
    });
    expect(looping.crashLoop!.reason).not.toContain(badKey);
  }, 30_000);
});
