/**
 * An upload is streamed end to end: a 600 MB artifact sent to a real `jobgate serve`
 * process (the CLI from dist/) raises that process's peak RSS by less than 50 MB. The
 * peak is reset (/proc/<pid>/clear_refs) after a warm-up upload, then read back
 * (VmHWM) once the big upload is stored.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const adminKey = 'jg-artifact-memory-admin-key';
const MB = 1024 * 1024;
let child: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'jobgate-artmem-'));

afterAll(async () => {
  if (child && child.exitCode === null) {
    const gone = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
});

function startServer(): Promise<string> {
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ artifacts: { maxArtifactBytes: 1024 * MB } }));
  child = spawn(
    process.execPath,
    [
      join(root, 'bin/jobgate.js'),
      'serve',
      '--port',
      '0',
      '--db',
      join(dir, 'jobgate.db'),
      '--config',
      join(dir, 'config.json'),
      '--log-level',
      'warn',
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, JOBGATE_ADMIN_KEY: adminKey, NODE_ENV: 'test' },
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 20_000);
    child!.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Jobgate listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child!.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
  });
}

const status = (pid: number, field: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) *
  1024;

/** `total` bytes in 1 MiB chunks, made as they are read (the test holds no copy either). */
function bigBody(total: number, hash: ReturnType<typeof createHash>): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const chunk = Buffer.alloc(Math.min(MB, total - sent), sent % 251);
      hash.update(chunk);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

it('stores a 600 MB upload without the server holding it in memory', { timeout: 180_000 }, async () => {
  const url = await startServer();
  const pid = child!.pid!;
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${url}/api/v1${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${adminKey}`,
        'content-type': 'application/json',
        ...(init.headers ?? {}),
      },
    });
  const worker = (await (
    await call('/workers', { method: 'POST', body: JSON.stringify({ queues: ['big'] }) })
  ).json()) as {
    worker: { id: string };
  };
  await call('/jobs', { method: 'POST', body: JSON.stringify({ queue: 'big' }) });
  const leased = (await (
    await call(`/workers/${worker.worker.id}/lease`, {
      method: 'POST',
      body: JSON.stringify({ max: 1, waitMs: 5000 }),
    })
  ).json()) as { jobs: Array<{ id: string; leaseToken: string }> };
  const job = leased.jobs[0]!;
  const put = (name: string, body: Readable) =>
    call(`/workers/${worker.worker.id}/jobs/${job.id}/artifacts/${name}`, {
      method: 'PUT',
      headers: { 'x-lease-token': job.leaseToken, 'content-type': 'video/mp4' },
      body: Readable.toWeb(body) as ReadableStream,
      duplex: 'half',
    } as RequestInit);

  // Warm-up: the upload path's code is loaded and its buffers exist before the peak is reset.
  expect((await put('warm-up.bin', bigBody(20 * MB, createHash('sha256')))).status).toBe(201);
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const before = status(pid, 'VmRSS');

  const hash = createHash('sha256');
  const answer = await put('big.mp4', bigBody(600 * MB, hash));
  expect(answer.status).toBe(201);
  const stored = (await answer.json()) as { size: number; sha256: string };
  expect(stored.size).toBe(600 * MB);
  expect(stored.sha256).toBe(hash.digest('hex'));
  const peak = status(pid, 'VmHWM');
  const rise = peak - before;
  console.log(
    `artifact upload of 600 MB: server RSS ${Math.round(before / MB)} MB before, peak ${Math.round(peak / MB)} MB (+${Math.round(rise / MB)} MB)`,
  );
  expect(rise).toBeLessThan(50 * MB);
});
