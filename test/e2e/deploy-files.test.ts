/**
 * What can be checked of the deploy files without a Docker engine (none runs here):
 * the systemd unit passes `systemd-analyze verify`, compose.yaml parses and names files
 * that exist, and every path the Dockerfile copies from the context exists and is not
 * excluded by .dockerignore. docs/DEPLOY.md says what was not run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

it('the systemd unit passes systemd-analyze verify', () => {
  const output = execFileSync('systemd-analyze', ['verify', join(root, 'deploy/jobgate.service')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  expect(output).toBe('');
  expect(read('deploy/jobgate.service')).toContain('EnvironmentFile=/etc/jobgate/jobgate.env');
  expect(read('deploy/jobgate.env')).toMatch(/^JOBGATE_CONFIG=/m);
});

it('compose.yaml runs Redis with AOF, two servers and a worker, from files that exist', () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as {
    services: Record<
      string,
      { command?: string[]; volumes?: string[]; environment?: Record<string, string> }
    >;
  };
  expect(Object.keys(compose.services).sort()).toEqual(['redis', 'server-1', 'server-2', 'worker']);
  expect(compose.services.redis?.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
  expect(compose.services['server-2']?.environment?.JOBGATE_STORE).toBe('redis://redis:6379/0');
  const handlers =
    compose.services.worker?.command?.[compose.services.worker.command.indexOf('--handlers') + 1];
  expect(existsSync(join(root, handlers ?? 'missing'))).toBe(true);
  const mounted = compose.services['server-1']?.volumes?.[0]?.split(':')[0] ?? 'missing';
  expect(existsSync(join(root, mounted))).toBe(true);
});

it('the Dockerfile copies only paths that exist and are in the build context, and runs as non-root', () => {
  const dockerfile = read('Dockerfile');
  const ignored = read('.dockerignore').split('\n').filter(Boolean);
  const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) =>
    (match[1] ?? '').split(/\s+/),
  );
  expect(sources.length).toBeGreaterThan(3);
  for (const source of sources) {
    expect(existsSync(join(root, source)), source).toBe(true);
    expect(ignored, source).not.toContain(source);
  }
  expect(dockerfile).toMatch(/^USER node$/m);
  expect(dockerfile).toMatch(/HEALTHCHECK .*\n.*\/ready/);
});
