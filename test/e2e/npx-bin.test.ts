/**
 * `npx jobgate` after `npm install` runs at once: npm links the checkout into npx's cache
 * and runs its prepare step there, which must not rebuild an up-to-date dist/ (tsc would
 * rewrite dist/cli/main.js). A fresh npm cache per run, so no earlier cache decides.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const built = join(root, 'dist/cli/main.js');

it('runs the CLI through npx without rebuilding dist/', () => {
  execFileSync(process.execPath, [join(root, 'scripts/prepare.mjs')], { cwd: root, stdio: 'ignore' });
  const before = statSync(built).mtimeMs;
  const help = execFileSync('npx', ['--yes', '--', 'jobgate', '--help'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, npm_config_cache: mkdtempSync(join(tmpdir(), 'npx-cache-')) },
    timeout: 60_000,
  });
  expect(help).toContain('Usage: jobgate');
  expect(statSync(built).mtimeMs).toBe(before);
}, 90_000);
