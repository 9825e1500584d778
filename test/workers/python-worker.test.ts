/**
 * examples/python-worker (standard library only) against a real server: jobs complete
 * with its results, an unrecoverable failure fails at once, a cancel reaches it through
 * its heartbeat, and SIGTERM drains it and deregisters it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { JobgateClient } from '../../src/client/index.js';
import { waitFor } from '../helpers/wait-for.js';
import { type LiveServer, liveAdminKey, startLiveServer } from './live-server.js';

const script = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'examples',
  'python-worker',
  'worker.py',
);
// No skip when python3 is missing: npm test's preflight installs it, and a missing one fails here.
if (spawnSync('python3', ['--version']).status !== 0) throw new Error('python3 is not on PATH');

let live: LiveServer | null = null;
let child: ChildProcess | null = null;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const gone = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }
  child = null;
  await live?.close();
  live = null;
});

async function startPythonWorker(server: LiveServer, concurrency = 2) {
  const key = await server.createKey('worker');
  const proc = spawn('python3', [script], {
    env: {
      ...process.env,
      JOBGATE_URL: server.url,
      JOBGATE_KEY: key,
      JOBGATE_QUEUES: 'text',
      JOBGATE_CONCURRENCY: String(concurrency),
      JOBGATE_GRACE_SEC: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let output = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  proc.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor(() => /ready for text/.test(output), { message: `the python worker ready:\n${output}` });
  return { proc, output: () => output };
}

describe('python worker (examples/python-worker)', () => {
  it('completes jobs, fails an unrecoverable one at once, honours a cancel, and drains on SIGTERM', async () => {
    live = await startLiveServer();
    const tenant = new JobgateClient({ url: live.url, key: await live.createKey('tenant') });
    const { proc, output } = await startPythonWorker(live);

    const words = ['alpha', 'beta', 'gamma', 'delta'];
    const jobs = await Promise.all(
      words.map((text) => tenant.submit({ queue: 'text', payload: { text, ms: 150 } })),
    );
    for (const [index, job] of jobs.entries()) {
      const final = await tenant.wait(job.id, { timeoutMs: 15_000 });
      expect(final.status, output()).toBe('completed');
      const reversed = [...words[index]!].reverse().join('');
      expect(final.result).toEqual({ reversed, by: 'python', attempt: 1, artifact: 'reversed.txt' });
      expect(final.progress.percent).toBe(100);
      // Its artifact, uploaded by put_artifact under the lease, read back by signed link.
      const listed = (await (
        await fetch(`${live.url}/api/v1/jobs/${job.id}/artifacts`, {
          headers: { authorization: `Bearer ${liveAdminKey}` },
        })
      ).json()) as { items: Array<{ name: string; contentType: string; url: string }> };
      expect(listed.items.map((a) => [a.name, a.contentType])).toEqual([
        ['reversed.txt', 'text/plain; charset=utf-8'],
      ]);
      expect(await (await fetch(listed.items[0]!.url)).text()).toBe(reversed);
    }

    const doomed = await tenant.submit({ queue: 'text', payload: { fail: true }, maxAttempts: 3 });
    expect(await tenant.wait(doomed.id, { timeoutMs: 15_000 })).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { retryable: false },
    });

    const long = await tenant.submit({ queue: 'text', payload: { text: 'slow', ms: 30_000 } });
    await waitFor(async () => (await tenant.get(long.id)).status === 'running', {
      message: 'the long job running',
    });
    await tenant.cancel(long.id);
    expect((await tenant.wait(long.id, { timeoutMs: 15_000 })).status).toBe('cancelled');

    expect((await live.ops.workers({ queue: 'text' })).items).toHaveLength(1);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((await live.ops.workers({ queue: 'text' })).items).toEqual([]);
  });

  it('runs as a pool worker through `command`, registered under the id the pool gave it', async () => {
    live = await startLiveServer({
      rawConfig: {
        queues: { text: { pool: { min: 1, max: 1, idleTimeoutSec: 60, command: `python3 ${script}` } } },
      },
    });
    const job = await live.admin.submit({ queue: 'text', payload: { text: 'pool' } });
    expect(await live.admin.wait(job.id, { timeoutMs: 15_000 })).toMatchObject({
      status: 'completed',
      result: { reversed: 'loop', by: 'python', artifact: 'reversed.txt' },
    });
    const [member] = live.server.workerPlane.pools.status('text').workers;
    const [worker] = (await live.ops.workers({ queue: 'text' })).items;
    // The pool's labels (docs/WORKERS.md) stay on the record the worker registered itself.
    expect(worker).toMatchObject({
      id: member!.id,
      labels: { language: 'python', pool: 'text', provider: 'local' },
    });
  });
});
