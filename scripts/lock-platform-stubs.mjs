#!/usr/bin/env node
/**
 * The registry this project installs from serves only the Linux builds of some
 * platform-specific optional packages (biome's CLI, msgpackr-extract). npm then writes a
 * package-lock.json without entries for the others, and `npm ci` refuses that lock
 * ("Missing: @biomejs/cli-darwin-arm64@ from lock file"). This adds a stub entry — name,
 * version, os/cpu — for each missing optional dependency, which npm ci accepts and skips
 * on this platform. Run it after any `npm install` that rewrites the lock.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
const platform = (name) => ({
  os: ['android', 'darwin', 'linux', 'win32', 'freebsd'].find((os) => name.includes(os)),
  cpu: ['arm64', 'x64', 'arm', 'ia32'].find((cpu) => new RegExp(`-${cpu}(-|$)`).test(name)),
});
let added = 0;
for (const [path, meta] of Object.entries({ ...packages })) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const top = `node_modules/${name}`;
    if (packages[top] || packages[`${path ? `${path}/` : ''}node_modules/${name}`]) continue;
    const { os, cpu } = platform(name);
    packages[top] = {
      version: range.replace(/^[\^~=]/, ''),
      ...(meta.dev ? { dev: true } : {}),
      optional: true,
      ...(os ? { os: [os] } : {}),
      ...(cpu ? { cpu: [cpu] } : {}),
      ...(name.includes('musl') ? { libc: ['musl'] } : {}),
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock: ${added} platform stub(s) added`);
