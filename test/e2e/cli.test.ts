/**
 * The `jobgate` CLI against a real `jobgate serve --demo` child process, once per store:
 * the embedded SQLite file, a Redis and a one-node Redis Cluster (`--store`), so the
 * demo walkthrough is the same on every backend. Needs dist/ (npm test builds it first).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../src/client/types.js';
import { startRedis } from '../helpers/redis-server.js';
import { tempDbFile } from '../helpers/test-server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'jobgate.js');
/** The bootstrap admin key the server accepts (JOBGATE_ADMIN_KEY). */
const adminKey = 'jg-cli-test-admin-key';

const children = new Set<ChildProcess>();
let serverUrl = '';

/** An environment without the caller's JOBGATE_* settings, so only the flags count. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ['JOBGATE_URL', 'JOBGATE_KEY', 'JOBGATE_DB', 'JOBGATE_ADMIN_KEY', 'PORT']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

function killAll(): Promise<unknown> {
  return Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
      children.delete(child);
    }),
  );
}

/** Starts `jobgate serve --demo` on a free port and resolves with its printed URL. */
function startServer(db: string, store: string[]): Promise<string> {
  const child = spawn(
    process.execPath,
    [bin, 'serve', '--demo', '--port', '0', '--db', db, '--log-level', 'warn', ...store],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv({ JOBGATE_ADMIN_KEY: adminKey }) },
  );
  children.add(child);
  let output = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 15 s:\n${output}`)), 15_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Jobgate listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `jobgate ...args` to its end (bounded) and collects its output. */
function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 20_000): Promise<CliResult> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: cleanEnv(env),
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`jobgate ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

const withServer = (...args: string[]) => [...args, '--url', serverUrl, '--key', adminKey];

const stores: Array<{ name: string; start(): Promise<{ args: string[]; stop(): Promise<void> }> }> = [
  { name: 'sqlite', start: async () => ({ args: [], stop: async () => {} }) },
  ...[false, true].map((cluster) => ({
    name: cluster ? 'redis cluster' : 'redis',
    start: async () => {
      const redis = await startRedis({ cluster });
      return { args: ['--store', redis.url], stop: () => redis.stop() };
    },
  })),
];

describe.each(stores)('jobgate CLI on $name', (store) => {
  let stopStore = async () => {};
  beforeAll(async () => {
    if (!existsSync(join(root, 'dist', 'cli', 'main.js')))
      throw new Error('dist/cli/main.js is missing: run `npm run build` before the e2e tests');
    const started = await store.start();
    stopStore = started.stop;
    serverUrl = await startServer(tempDbFile(), started.args);
  });

  afterAll(async () => {
    await killAll();
    await stopStore();
  });

  let waitedJob: JobView;

  it('submit --wait follows a demo job with progress lines and prints the completed job', async () => {
    const result = await cli(withServer('submit', 'demo', '{"ms":200,"stages":["a","b"]}', '--wait'));
    expect(result.code, result.stderr).toBe(0);
    waitedJob = JSON.parse(result.stdout) as JobView;
    expect(waitedJob).toMatchObject({
      queue: 'demo',
      status: 'completed',
      payload: { ms: 200, stages: ['a', 'b'] },
      result: { ok: true, ms: 200, stages: 2 },
      progress: { percent: 100 },
    });
    expect(result.stderr).toContain(`submitted ${waitedJob.id}`);
    const progressLines = result.stderr.split('\n').filter((line) => /\d+%/.test(line));
    expect(progressLines.length, result.stderr).toBeGreaterThan(0);
    expect(progressLines.at(-1)).toMatch(/100%\s+completed/);
    // Not a TTY: plain lines, no carriage-return redraws.
    expect(result.stderr).not.toContain('\r');
  });

  it('submit without --wait prints the accepted job at once', async () => {
    const result = await cli(
      withServer('submit', 'demo', '{"ms":10}', '--priority', '2', '--type', 'cli-test'),
    );
    expect(result.code, result.stderr).toBe(0);
    const job = JSON.parse(result.stdout) as JobView;
    expect(job).toMatchObject({ queue: 'demo', type: 'cli-test', priority: 2 });
    expect(['queued', 'running', 'completed']).toContain(job.status);
  });

  it('jobs lists the submitted job, as a table and as JSON', async () => {
    expect(waitedJob, 'the submit --wait test ran first').toBeDefined();
    const table = await cli(withServer('jobs', '--queue', 'demo'));
    expect(table.code, table.stderr).toBe(0);
    const row = table.stdout.split('\n').find((line) => line.startsWith(waitedJob.id));
    expect(row, table.stdout).toBeDefined();
    expect(row).toMatch(/\bdemo\b/);
    expect(row).toMatch(/\bcompleted\b/);
    expect(row).toContain('100%');
    expect(row).toContain('1/');

    const asJson = await cli(withServer('jobs', '--status', 'completed', '--json'));
    expect(asJson.code, asJson.stderr).toBe(0);
    const page = JSON.parse(asJson.stdout) as { items: JobView[]; nextCursor: string | null };
    expect(page.items.map((job) => job.id)).toContain(waitedJob.id);
    for (const job of page.items) expect(job.status).toBe('completed');
  });

  it('submit --wait of a failing job prints the failed job and exits non-zero', async () => {
    const result = await cli(
      withServer('submit', 'demo', '{"fail":true,"ms":10}', '--max-attempts', '1', '--wait'),
    );
    expect(result.code).not.toBe(0);
    const job = JSON.parse(result.stdout) as JobView;
    expect(job.status).toBe('failed');
    expect(job.error?.message).toMatch(/Demo failure/);
  });

  it('submit with an invalid request prints one clear error line and exits non-zero', async () => {
    const badPriority = await cli(withServer('submit', 'demo', '{"ms":10}', '--priority', '11'));
    expect(badPriority.code).not.toBe(0);
    expect(badPriority.stdout).toBe('');
    expect(badPriority.stderr).toMatch(/^error: JOBGATE_ERR_VALIDATION: .*priority/m);

    const badQueue = await cli(withServer('submit', 'not a queue!', '{"ms":10}'));
    expect(badQueue.code).not.toBe(0);
    expect(badQueue.stdout).toBe('');
    expect(badQueue.stderr).toMatch(/^error: JOBGATE_ERR_VALIDATION: .*queue/m);

    const badKey = await cli(['submit', 'demo', '{"ms":10}', '--url', serverUrl, '--key', 'wrong-key']);
    expect(badKey.code).not.toBe(0);
    expect(badKey.stderr).toMatch(/^error: JOBGATE_ERR_UNAUTHORIZED: /m);

    const noKey = await cli(['submit', 'demo', '{"ms":10}', '--url', serverUrl]);
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toMatch(/^error: JOBGATE_ERR_UNAUTHORIZED: /m);
  });

  it('submit with a payload that is not JSON is refused before any request', async () => {
    const result = await cli(withServer('submit', 'demo', '{ms: 10'));
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/must be valid JSON/);
  });

  it('reports an unreachable server as JOBGATE_ERR_NETWORK', async () => {
    const result = await cli(['submit', 'demo', '{}', '--url', 'http://127.0.0.1:1', '--key', adminKey]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^error: JOBGATE_ERR_NETWORK: Cannot reach http:\/\/127\.0\.0\.1:1/m);
  });

  it('takes the URL and key from JOBGATE_URL and JOBGATE_KEY', async () => {
    const result = await cli(['jobs', '--json', '--limit', '1'], {
      JOBGATE_URL: serverUrl,
      JOBGATE_KEY: adminKey,
    });
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { items: JobView[] }).items).toHaveLength(1);
  });
});
