/**
 * npm test's preflight: with a program missing and no way to install it, it stops at once
 * naming the exact apt-get command (run as an unprivileged user with a PATH that lacks
 * redis-server); with everything present it prints nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const script = join(import.meta.dirname, '../../scripts/preflight.mjs');

it('names the apt-get command for a missing program when it cannot install', () => {
  const bin = mkdtempSync(join(tmpdir(), 'preflight-'));
  symlinkSync(process.execPath, join(bin, 'node'));
  const run = spawnSync(process.execPath, [script], {
    env: { PATH: bin },
    uid: 65534,
    gid: 65534,
    encoding: 'utf8',
    timeout: 10_000,
  });
  expect(run.status).toBe(1);
  expect(run.stderr).toContain('redis-server (Redis stores and conformance)');
  expect(run.stderr).toMatch(/Install them with: sudo apt-get install -y .*redis-server/);
});

it('passes silently when every program is present', () => {
  const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toBe('');
});
