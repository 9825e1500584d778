/** The config file's path: --config, else JOBGATE_CONFIG, else ./jobgate.config.json when present. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'jobgate-config-'));
const file = join(dir, 'from-env.json');
writeFileSync(file, JSON.stringify({ defaultTier: 'pro' }));

it('reads the file JOBGATE_CONFIG names', () => {
  expect(loadConfig(undefined, { JOBGATE_CONFIG: file }).defaultTier).toBe('pro');
});

it('prefers an explicit file over JOBGATE_CONFIG', () => {
  const explicit = join(dir, 'explicit.json');
  writeFileSync(explicit, JSON.stringify({ defaultTier: 'internal' }));
  expect(loadConfig(explicit, { JOBGATE_CONFIG: file }).defaultTier).toBe('internal');
});

it('fails naming the path when JOBGATE_CONFIG names a missing file', () => {
  expect(() => loadConfig(undefined, { JOBGATE_CONFIG: join(dir, 'missing.json') })).toThrow(ConfigError);
  expect(() => loadConfig(undefined, { JOBGATE_CONFIG: join(dir, 'missing.json') })).toThrow(
    /missing\.json: cannot read/,
  );
});
