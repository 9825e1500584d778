#!/usr/bin/env node
/**
 * `npm test`'s first step: the suites drive real programs (a redis-server per test file,
 * Debian's Chromium, the workloads' encoders), and none of them is skipped when missing.
 * So this checks for each one first and, as root with apt-get, installs the missing
 * Debian packages with one line of output; otherwise it stops at once with the exact
 * command to run. Adding a suite that needs a new program means adding it here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the suites run, where they look for it, and the Debian package that brings it. */
const needs = [
  { program: 'redis-server', package: 'redis-server', why: 'Redis stores and conformance' },
  { program: '/usr/bin/chromium', package: 'chromium', why: 'dashboard and browser-test suites' },
  { program: 'python3', package: 'python3', why: 'the Python worker and client' },
  { program: 'espeak-ng', package: 'espeak-ng', why: 'the speech workload' },
  // Debian's ImageMagick; a `convert` elsewhere on PATH may be another program.
  { program: '/usr/bin/convert', package: 'imagemagick', why: 'the image workload' },
  { program: 'ffmpeg', package: 'ffmpeg', why: 'the video workload' },
  { program: 'ffprobe', package: 'ffmpeg', why: 'the video workload' },
  { program: '/usr/bin/identify', package: 'imagemagick', why: 'the image workload test (decodes the PNG)' },
  { program: 'soxi', package: 'sox', why: 'the speech workload test (reads the WAV)' },
  { program: 'systemd-analyze', package: 'systemd', why: 'the systemd unit check' },
  { program: 'promtool', package: 'prometheus', why: 'the /metrics lint (promtool check metrics)' },
];

function present(program) {
  if (program.startsWith('/')) {
    try {
      accessSync(program, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  return spawnSync('/bin/sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

const missing = needs.filter((need) => !present(need.program));
if (missing.length === 0) process.exit(0);

const packages = [...new Set(missing.map((need) => need.package))];
const list = missing.map((need) => `${need.program} (${need.why})`).join(', ');
const command = `apt-get install -y ${packages.join(' ')}`;
const canInstall = process.getuid?.() === 0 && present('apt-get');
if (!canInstall) {
  process.stderr.write(`preflight: npm test needs ${list}.\nInstall them with: sudo ${command}\n`);
  process.exit(1);
}

console.log(`preflight: installing ${packages.join(' ')} (${command}) for ${list}`);
const log = join(tmpdir(), 'jobgate-preflight-apt.log');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
let output = '';
try {
  output += execFileSync('apt-get', ['update', '-qq'], { env, encoding: 'utf8', stdio: 'pipe' });
  output += execFileSync('apt-get', ['install', '-y', '-qq', ...packages], {
    env,
    encoding: 'utf8',
    stdio: 'pipe',
    maxBuffer: 64 * 1024 * 1024,
  });
} catch (error) {
  writeFileSync(log, `${output}${error.stdout ?? ''}${error.stderr ?? ''}`);
  process.stderr.write(`preflight: ${command} failed; its output is in ${log}\n`);
  process.exit(1);
}
writeFileSync(log, output);
const still = missing.filter((need) => !present(need.program));
if (still.length > 0) {
  process.stderr.write(
    `preflight: still missing after the install: ${still.map((n) => n.program).join(', ')}\n`,
  );
  process.exit(1);
}
