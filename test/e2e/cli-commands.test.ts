/**
 * The CLI's job, queue and worker commands against a live server with the demo queue:
 * tables with headers, `--json` on every read, `--version`, and exit codes by outcome
 * (3 not found, 2 usage — `clear` without confirmation). Runs bin/jobgate.js from dist/.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { JobView } from '../../src/client/types.js';
import { type LiveServer, liveAdminKey, startLiveServer } from '../workers/live-server.js';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin', 'jobgate.js');
let live: LiveServer;

beforeAll(async () => {
  live = await startLiveServer({
    demo: true,
    workloads: true,
    rawConfig: { webhooks: { allowPrivateTargets: true } },
  });
});
afterAll(async () => {
  await live?.close();
});

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { ...process.env, JOBGATE_URL: live.url, JOBGATE_KEY: liveAdminKey },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('prints its version', async () => {
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  const run = await cli('--version');
  expect(run.code).toBe(0);
  expect(run.stdout.trim()).toBe(version);
});

it('gets, follows, cancels and retries a job; --json on each', async () => {
  const job = await live.admin.submit({ queue: 'demo', payload: { ms: 2_000, stages: ['one', 'two'] } });
  const logs = await cli('logs', job.id, '--follow');
  expect(logs.code, logs.stderr).toBe(0);
  const lines = logs.stdout.trim().split('\n');
  expect(lines[0], logs.stdout).toMatch(/snapshot\s+running/);
  expect(logs.stdout).toMatch(/progress\s+running\s+\d+% two/);
  expect(lines.at(-1), logs.stdout).toMatch(/completed\s+completed\s+100%/);

  const got = await cli('get', job.id);
  expect(got.stdout).toMatch(/^id\s+\S+/m);
  expect(got.stdout).toMatch(/^status\s+completed$/m);
  const asJson = JSON.parse((await cli('get', job.id, '--json')).stdout) as JobView;
  expect(asJson).toMatchObject({ id: job.id, status: 'completed' });

  const slow = await live.admin.submit({ queue: 'demo', payload: { ms: 60_000 } });
  const cancelled = await cli('cancel', slow.id, '--json');
  expect(cancelled.code).toBe(0);
  expect(['cancelled', 'running']).toContain((JSON.parse(cancelled.stdout) as JobView).status);
  await live.admin.wait(slow.id, { timeoutMs: 10_000 });
  const retried = await cli('retry', slow.id);
  expect(retried.code).toBe(0);
  expect(retried.stdout).toMatch(/^status\s+(queued|running)$/m);
  await cli('cancel', slow.id);

  const missing = await cli('get', 'no-such-job');
  expect(missing.code).toBe(3);
  expect(missing.stderr).toMatch(/JOBGATE_ERR_JOB_NOT_FOUND/);
});

it('lists queues, jobs, workers and keys as tables with headers', async () => {
  const listed = await live.admin.submit({ queue: 'demo', payload: { ms: 1 } });
  await live.admin.request('POST', '/api/v1/workers', {
    queues: ['demo'],
    concurrency: 2,
    version: 'cli-test',
  });
  const queues = await cli('queues');
  expect(queues.stdout.split('\n')[0]).toMatch(/^QUEUE\s+STATUS\s+QUEUED\s+RUNNING/);
  expect(queues.stdout).toMatch(/^demo\s+/m);
  expect(JSON.parse((await cli('queues', '--json')).stdout).items.length).toBeGreaterThan(0);
  expect((await cli('jobs')).stdout.split('\n')[0]).toMatch(/^ID\s+QUEUE\s+STATUS\s+PROGRESS/);
  const found = JSON.parse((await cli('jobs', '--id', listed.id.slice(0, 8), '--json')).stdout);
  expect(found.items.map((job: { id: string }) => job.id)).toEqual([listed.id]);
  expect((await cli('workers')).stdout.split('\n')[0]).toMatch(/^ID\s+STATE\s+QUEUES/);
  expect((await cli('keys', 'list')).stdout.split('\n')[0]).toMatch(/^ID\s+OWNER\s+ROLE/);
  expect(Array.isArray(JSON.parse((await cli('keys', 'list', '--json')).stdout).items)).toBe(true);
});

it('pauses, resumes, warms up, and clears only when confirmed', async () => {
  expect((await cli('pause', 'demo')).stdout.trim()).toBe('demo: paused');
  const held = await live.admin.submit({ queue: 'demo', payload: { ms: 1 } });
  expect(held.status).toBe('queued');
  const refused = await cli('clear', 'demo');
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/not confirmed/);
  expect((await live.admin.get(held.id)).status).toBe('queued');
  const cleared = await cli('clear', 'demo', '--yes', '--json');
  expect(cleared.code).toBe(0);
  expect(JSON.parse(cleared.stdout).cleared).toBeGreaterThanOrEqual(1);
  expect((await cli('resume', 'demo')).stdout.trim()).toBe('demo: resumed');
  const warm = await cli('warmup', 'demo', '--json');
  expect(warm.code, warm.stderr).toBe(0);
  expect(['noop', 'started', 'starting', 'at_capacity']).toContain(JSON.parse(warm.stdout).status);
});

it('manages schedules, webhooks and artifacts', async () => {
  const created = await cli(
    'schedules',
    'create',
    'nightly',
    '--cron',
    '0 3 * * *',
    '--queue',
    'demo',
    '--timezone',
    'Europe/Berlin',
    '--json',
  );
  expect(created.code, created.stderr).toBe(0);
  expect(JSON.parse(created.stdout)).toMatchObject({
    name: 'nightly',
    timezone: 'Europe/Berlin',
    enabled: true,
  });
  expect((await cli('schedules', 'list')).stdout.split('\n')[0]).toMatch(/^NAME\s+CRON\s+TIMEZONE\s+QUEUE/);
  expect((await cli('schedules', 'pause', 'nightly')).stdout).toMatch(/^nightly: paused/);
  expect((await cli('schedules', 'resume', 'nightly')).stdout).toMatch(/^nightly: enabled/);
  const ran = await cli('schedules', 'run', 'nightly', '--json');
  expect(ran.code, ran.stderr).toBe(0);
  expect(JSON.parse(ran.stdout).jobId).toBeTruthy();
  expect((await cli('schedules', 'delete', 'nightly')).stdout.trim()).toBe('deleted nightly');
  expect((await cli('schedules', 'show', 'nightly')).code).toBe(3);

  const hook = await cli(
    'webhooks',
    'create',
    '--endpoint',
    'http://127.0.0.1:9/hook',
    '--events',
    'job.completed,job.failed',
    '--json',
  );
  expect(hook.code, hook.stderr).toBe(0);
  const { subscription, secret } = JSON.parse(hook.stdout) as {
    subscription: { id: string };
    secret: string;
  };
  expect(secret).toMatch(/^whsec_/);
  expect((await cli('webhooks', 'list')).stdout).toContain(subscription.id);
  expect((await cli('webhooks', 'deliveries', subscription.id)).code).toBe(0);
  expect((await cli('webhooks', 'delete', subscription.id)).stdout.trim()).toBe(`deleted ${subscription.id}`);

  const speech = await live.admin.submit(
    { queue: 'speech', payload: { text: 'artifact from the CLI' } },
    { wait: 30 },
  );
  expect(speech.status).toBe('completed');
  const listed = await cli('artifacts', 'list', speech.id);
  expect(listed.stdout.split('\n')[0]).toMatch(/^NAME\s+SIZE\s+TYPE/);
  const name = listed.stdout.split('\n')[1]!.split(/\s+/)[0]!;
  const out = join(mkdtempSync(join(tmpdir(), 'cli-artifact-')), 'out.wav');
  const downloaded = await cli('artifacts', 'download', speech.id, name, '-o', out);
  expect(downloaded.code, downloaded.stderr).toBe(0);
  expect(readFileSync(out).subarray(0, 4).toString('ascii')).toBe('RIFF');
  expect((await cli('artifacts', 'download', speech.id, 'no-such-file')).code).toBe(3);
}, 90_000);
