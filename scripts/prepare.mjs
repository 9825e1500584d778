#!/usr/bin/env node
/**
 * `npm install`'s prepare step: builds dist/ when a source is newer than the last build,
 * and links the project's own bin into node_modules/.bin so `npx jobgate` runs it at
 * once. Without that link npx installs the checkout into its cache as a file: package,
 * which runs this step again in a copy (seconds of build at the first call, and a broken
 * cache when that first call is interrupted).
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const inputs = ['src', 'dashboard', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];

function newest(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

const built = statSync(stamp, { throwIfNoEntry: false })?.mtimeMs ?? 0;
const changed = Math.max(...inputs.map((input) => newest(join(root, input))));
if (process.env.JOBGATE_FORCE_BUILD === '1' || changed > built) {
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}

const binDir = join(root, 'node_modules', '.bin');
if (existsSync(join(root, 'node_modules'))) {
  mkdirSync(binDir, { recursive: true });
  const link = join(binDir, 'jobgate');
  rmSync(link, { force: true });
  symlinkSync(relative(binDir, join(root, 'bin', 'jobgate.js')), link);
}
