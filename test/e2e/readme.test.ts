/**
 * The README runs as written: every shell block marked `<!-- readme-test: run -->` in the
 * README and then docs/WORKERS.md is run,
 * in order, in one bash (`set -euo pipefail`, so any failing command fails the test)
 * against a fresh `jobgate serve --demo` — what `npm start` runs — in a scratch folder
 * that looks like a checkout (its own ./data, so a developer's database is not touched).
 * A second case breaks one command on purpose and expects the run to fail.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../helpers/redis-server.js';

const root = join(import.meta.dirname, '../..');
const marker = '<!-- readme-test: run -->';

/** The marked ```sh blocks of the README, in order. */
function runnableBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const pattern = new RegExp(`${marker}\\s*\\n\`\`\`sh\\n([\\s\\S]*?)\\n\`\`\``, 'g');
  for (const match of markdown.matchAll(pattern)) blocks.push(match[1]!);
  return blocks;
}

let server: ChildProcess;
let dir: string;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jobgate-readme-'));
  for (const entry of [
    'bin',
    'dist',
    'examples',
    'node_modules',
    'package.json',
    'scripts',
    'jobgate.config.example.json',
  ])
    symlinkSync(join(root, entry), join(dir, entry));
  port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  for (const name of [
    'JOBGATE_ADMIN_KEY',
    'JOBGATE_URL',
    'JOBGATE_KEY',
    'JOBGATE_DB',
    'JOBGATE_STORE',
    'NODE_ENV',
  ])
    delete env[name];
  server = spawn(process.execPath, ['bin/jobgate.js', 'serve', '--demo', '--log-level', 'warn'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start:\n${output}`)), 20_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Dev admin key/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stdout!.on('data', read);
    server.stderr!.on('data', read);
  });
}, 30_000);

afterAll(() => {
  server?.kill('SIGKILL');
});

function runBash(script: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      npm_config_cache: mkdtempSync(join(tmpdir(), 'npx-')),
    };
    for (const name of ['JOBGATE_URL', 'JOBGATE_KEY']) delete env[name];
    const bash = spawn('bash', ['-c', `set -euo pipefail\n${script}`], { cwd: dir, env, detached: true });
    let output = '';
    bash.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    bash.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => process.kill(-bash.pid!, 'SIGKILL'), 280_000);
    bash.on('close', (code) => {
      clearTimeout(timer);
      // Anything the script left running in the background (the worker) goes with it.
      try {
        process.kill(-bash.pid!, 'SIGKILL');
      } catch {}
      resolve({ code, output });
    });
  });
}

// The README's blocks, then docs/WORKERS.md's, which continue from them.
const readme = ['README.md', 'docs/WORKERS.md']
  .map((file) => readFileSync(join(root, file), 'utf8'))
  .join('\n');

it('runs every marked README block top to bottom', async () => {
  const blocks = runnableBlocks(readme);
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  const run = await runBash(blocks.join('\n'));
  expect(run.code, run.output).toBe(0);
  expect(run.output).toMatch(/^completed /m);
  expect(run.output).toMatch(/^failed: /m);
  expect(run.output).toMatch(/one job for one idempotency key/);
  expect(run.output).toMatch(/^RIFF$/m);
  expect(run.output).toMatch(/"status": "completed"/);
  expect(run.output).toMatch(/a second complete with the same lease is refused/);
}, 300_000);

it('fails when a README command is broken', async () => {
  const blocks = runnableBlocks(readme);
  const broken = blocks[0]!.replace('$API/jobs/$JOB/events', '$API/jobz/$JOB/events');
  expect(broken).not.toBe(blocks[0]);
  const run = await runBash(broken);
  expect(run.code).not.toBe(0);
  expect(run.output).toMatch(/404/);
}, 200_000);
