/**
 * clients/python (standard library only) against a live server with the demo queue:
 * `python3 -m unittest` runs its whole suite with a tenant key, and none of it may skip.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LiveServer, startLiveServer } from '../workers/live-server.js';

const clientDir = join(import.meta.dirname, '../../clients/python');
let live: LiveServer;

beforeAll(async () => {
  live = await startLiveServer({ demo: true });
});
afterAll(async () => {
  await live?.close();
});

function run(command: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(command, args, { cwd: clientDir, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

it('passes python3 -m unittest against the live server, nothing skipped', async () => {
  const key = await live.createKey('tenant', 'py-client');
  const result = await run('python3', ['-m', 'unittest', 'discover', '-s', '.', '-v'], {
    JOBGATE_URL: live.url,
    JOBGATE_KEY: key,
  });
  expect(result.code, result.output).toBe(0);
  expect(result.output).toMatch(/Ran \d+ tests/);
  expect(result.output).not.toContain('skipped');
  expect(result.output).toMatch(/\nOK\s*$/);
}, 60_000);
