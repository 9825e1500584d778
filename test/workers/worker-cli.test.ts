/** `jobgate worker` from the command line (dist/, built by `npm test` first). */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { type LiveServer, startLiveServer } from './live-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = join(here, '..', '..', 'bin', 'jobgate.js');
const handlers = join(here, '..', 'fixtures', 'handlers.mjs');

let live: LiveServer | null = null;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }
  await live?.close();
  live = null;
});

function run(args: string[], env: Record<string, string> = {}) {
  const clean = { ...process.env };
  for (const name of Object.keys(clean)) if (name.startsWith('JOBGATE_')) delete clean[name];
  const child = spawn(process.execPath, [bin, 'worker', ...args], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('jobgate worker', () => {
  it('runs the handlers of a module against a server, with the concurrency asked, and drains on SIGTERM', async () => {
    live = await startLiveServer();
    const key = await live.createKey('worker');
    const worker = run(
      [
        '--url',
        live.url,
        '--queues',
        'sleep',
        '--handlers',
        handlers,
        '--concurrency',
        '2',
        '--label',
        'host=test',
      ],
      { JOBGATE_KEY: key },
    );
    await waitFor(() => /ready for sleep/.test(worker.output()), { message: `ready:\n${worker.output()}` });
    const [registered] = (await live.ops.workers()).items;
    expect(registered).toMatchObject({ queues: ['sleep'], concurrency: 2, labels: { host: 'test' } });
    const jobs = await Promise.all(
      [1, 2].map(() => live!.admin.submit({ queue: 'sleep', payload: { ms: 300 } })),
    );
    for (const job of jobs)
      expect((await live.admin.wait(job.id, { timeoutMs: 10_000 })).status).toBe('completed');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect((await live.ops.workers()).items).toEqual([]);
  });

  it('refuses to start without a key, or with a module that lacks a queue’s handler', async () => {
    const noKey = run(['--queues', 'sleep', '--handlers', handlers]);
    expect(await noKey.exited).toBe(2);
    expect(noKey.output()).toMatch(/--key \(or JOBGATE_KEY\) is required/);
    const noHandler = run(['--queues', 'sleep,render', '--handlers', handlers], { JOBGATE_KEY: 'k' });
    expect(await noHandler.exited).toBe(2);
    expect(noHandler.output()).toMatch(/has no handler for queue render/);
    const badKey = run(['--url', 'http://127.0.0.1:9', '--handlers', join(here, 'nowhere.mjs')], {
      JOBGATE_KEY: 'k',
    });
    expect(await badKey.exited).toBe(2);
  });
});
