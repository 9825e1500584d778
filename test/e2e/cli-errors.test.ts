/**
 * The CLI fails in one line with an exit code that says why (README, "CLI"): usage 2,
 * not found 3, conflict 4 (a port in use), unavailable 5; never a stack, never a secret
 * in --help. In production a server with no admin key refuses to start, naming the
 * command that makes the first one in the store (`jobgate keys create --admin --db`).
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jobgateBin, killAll, spawnNode, startJobgate } from '../helpers/children.js';

afterEach(async () => {
  await killAll();
});

async function run(args: string[], env: Record<string, string> = {}) {
  const child = spawnNode([jobgateBin, ...args], env);
  const code = await child.exited;
  return { code, output: child.output() };
}

const noStack = (output: string) => expect(output).not.toMatch(/\n\s+at |node:internal|\.js:\d+/);

describe('CLI errors', () => {
  it('answers a bad flag, a bad value and an unknown command with one line and exit 2', async () => {
    const unknown = await run(['serve', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.output.trim()).toBe(
      "jobgate serve: unknown option '--bogus' (see 'jobgate serve --help')",
    );
    const badPort = await run(['serve', '--port', 'eighty']);
    expect(badPort.code).toBe(2);
    expect(badPort.output.trim().split('\n')).toHaveLength(1);
    expect(badPort.output).toContain('--port');
    const badLevel = await run(['serve', '--log-level', 'loud']);
    expect(badLevel.code).toBe(2);
    const command = await run(['frobnicate']);
    expect(command.code).toBe(2);
    expect(command.output.trim().split('\n')).toHaveLength(1);
    for (const result of [unknown, badPort, badLevel, command]) noStack(result.output);
  });

  it('says a busy port in one line and exits 4', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const db = join(mkdtempSync(join(tmpdir(), 'jobgate-cli-')), 'j.db');
      const busy = await run(['serve', '--port', String(port), '--db', db, '--log-level', 'warn']);
      expect(busy.code).toBe(4);
      expect(busy.output.trim()).toBe(
        `jobgate serve: 127.0.0.1:${port} is already in use (EADDRINUSE): stop what listens there or choose another --port`,
      );
    } finally {
      holder.close();
    }
  });

  it('never shows a secret from the environment as a default in --help', async () => {
    const env = {
      JOBGATE_KEY: 'jg_0123456789ab_SECRETSECRETSECRETSECRETSECRETSECRET',
      JOBGATE_STORE: 'redis://:hunter2-pw@127.0.0.1:6390',
    };
    for (const args of [
      ['jobs', '--help'],
      ['serve', '--help'],
      ['worker', '--help'],
      ['keys', 'create', '--help'],
    ]) {
      const help = await run(args, env);
      expect(help.code, args.join(' ')).toBe(0);
      expect(help.output).not.toContain('SECRETSECRET');
      expect(help.output).not.toContain('hunter2');
    }
    expect((await run(['jobs', '--help'], env)).output).toContain('JOBGATE_KEY');
  });

  it('exits 3 for a missing key, 5 for an unreachable server', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'jobgate-cli-')), 'j.db');
    const server = await startJobgate(['--db', db], { JOBGATE_ADMIN_KEY: 'cli-admin-key' });
    const missing = await run(['keys', 'revoke', 'key_nope', '--url', server.url, '--key', 'cli-admin-key']);
    expect(missing.code).toBe(3);
    expect(missing.output.trim().split('\n')).toHaveLength(1);
    const away = await run(['jobs', '--url', 'http://127.0.0.1:1', '--key', 'k']);
    expect(away.code).toBe(5);
    noStack(away.output);
  });
});

describe('production without an admin key', () => {
  it('refuses to start, naming keys create --admin; starts once the store holds an admin key', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'jobgate-cli-')), 'j.db');
    const production = { NODE_ENV: 'production', JOBGATE_ADMIN_KEY: '' };
    const refused = await run(['serve', '--port', '0', '--db', db, '--log-level', 'warn'], production);
    expect(refused.code).toBe(2);
    expect(refused.output).toContain(`jobgate keys create --admin --db ${db}`);
    noStack(refused.output);

    const created = await run(['keys', 'create', '--admin', '--db', db]);
    expect(created.code).toBe(0);
    const key = created.output.split('\n')[0]!;
    expect(key).toMatch(/^jg_[a-f0-9]{12}_/);
    const server = await startJobgate(['--db', db], production);
    const listed = await fetch(`${server.url}/api/v1/keys`, { headers: { authorization: `Bearer ${key}` } });
    expect(listed.status).toBe(200);
    const { items } = (await listed.json()) as { items: Array<{ role: string; owner: string }> };
    expect(items).toEqual([expect.objectContaining({ role: 'admin', owner: 'admin' })]);
  }, 40_000);
});
