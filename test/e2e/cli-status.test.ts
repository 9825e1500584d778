/**
 * `jobgate status` and `jobgate submit --wait` (over the event stream) against a real
 * `jobgate serve --demo` child process. Needs dist/ (npm test builds it first).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jobgateBin,
  killAll,
  type Spawned,
  spawnNode,
  startJobgate,
  waitForOutput,
} from '../helpers/children.js';
import { tempDbFile } from '../helpers/test-server.js';

const adminKey = 'jg-cli-status-admin-key';
let url = '';

/** Runs the CLI to its end; JOBGATE_* of the caller's environment are cleared so only flags count. */
async function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnNode([jobgateBin, ...args, '--url', url, '--key', adminKey], {
    JOBGATE_URL: '',
    JOBGATE_KEY: '',
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.process.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
  child.process.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const code = await child.exited;
  return { code, stdout: stdout.join(''), stderr: stderr.join('') };
}

beforeAll(async () => {
  const server = await startJobgate(['--demo', '--db', tempDbFile()], { JOBGATE_ADMIN_KEY: adminKey });
  url = server.url;
});

afterAll(async () => {
  await killAll();
});

describe('jobgate status', () => {
  it('prints the queue panel: status, workers, jobs and the estimated wait', async () => {
    const result = await cli(['status', 'demo']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^demo {2}ok {2}\(max workers 4\)$/m);
    expect(result.stdout).toMatch(
      /workers {2}initializing 0 {2}ready 0 {2}idle 4 {2}running 0 {2}draining 0/,
    );
    expect(result.stdout).toMatch(/jobs {5}scheduled 0 {2}queued 0 {2}running 0 {2}completed \d+/);
    expect(result.stdout).toMatch(/wait {5}~0 s \(low confidence\) for a new job/);
  });

  it('lists every queue without an argument, prints JSON with --json, and says paused', async () => {
    expect((await cli(['submit', 'nobody-serves-this', '{}'])).code).toBe(0);
    const all = await cli(['status']);
    expect(all.stdout).toMatch(/^demo {2}ok/m);
    expect(all.stdout).toMatch(/^nobody-serves-this {2}cold$/m);
    expect(all.stdout).toContain('none until a worker serves the queue for a new job');
    const json = JSON.parse((await cli(['status', 'demo', '--json'])).stdout);
    expect(json).toMatchObject({ queue: 'demo', status: 'ok', workers: { idle: 4 } });
    await fetch(`${url}/api/v1/queues/demo/pause`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect((await cli(['status', 'demo'])).stdout).toMatch(/^demo {2}paused/m);
    await fetch(`${url}/api/v1/queues/demo/resume`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}` },
    });
  });

  it('refreshes with --watch until interrupted', async () => {
    const watcher: Spawned = spawnNode([
      jobgateBin,
      'status',
      'demo',
      '--watch',
      '--interval',
      '150',
      '--url',
      url,
      '--key',
      adminKey,
    ]);
    await waitForOutput(watcher, /(jobgate status — [^\n]+\n[\s\S]*){3}/);
    expect(watcher.output().match(/^demo {2}ok/gm)?.length).toBeGreaterThanOrEqual(3);
    watcher.process.kill('SIGINT');
    await watcher.exited;
  });

  it('rejects a bad interval and reports an unknown queue name as a validation error', async () => {
    const bad = await cli(['status', 'demo', '--watch', '--interval', '5']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('at least 100');
    const invalid = await cli(['status', '-x-']);
    expect(invalid.code).not.toBe(0);
  });
});

describe('jobgate submit --wait', () => {
  it('follows the job’s event stream with the stage names and ends with the completed job', async () => {
    const result = await cli(['submit', 'demo', '{"ms":300,"stages":["fetch","render","encode"]}', '--wait']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'completed', result: { ok: true, stages: 3 } });
    const lines = result.stderr.split('\n').filter((line) => /\d+%/.test(line));
    for (const stage of ['fetch', 'render', 'encode'])
      expect(lines.some((line) => line.includes(stage))).toBe(true);
    const percents = lines.map((line) => Number(/(\d+)%/.exec(line)![1]));
    for (let i = 1; i < percents.length; i++) expect(percents[i]!).toBeGreaterThanOrEqual(percents[i - 1]!);
    expect(lines.at(-1)).toMatch(/100%\s+completed/);
  });
});
