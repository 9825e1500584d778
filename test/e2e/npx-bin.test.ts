/**
 * `npx jobgate` after `npm install` runs the checkout's own bin at once: prepare links it
 * into node_modules/.bin, so npx neither installs the project into its cache (a build in
 * a copy, and a broken cache when interrupted) nor asks to. `--no` makes npx refuse any
 * install, so this fails if the bin is not found locally.
 */
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');

it('links bin/jobgate.js into node_modules/.bin, and npx --no runs it', () => {
  expect(realpathSync(join(root, 'node_modules/.bin/jobgate'))).toBe(
    realpathSync(join(root, 'bin/jobgate.js')),
  );
  const help = execFileSync('npx', ['--no', '--', 'jobgate', '--help'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(help).toContain('Usage: jobgate');
});
