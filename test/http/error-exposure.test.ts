/**
 * What a refusal shows and logs. A tenant sees a failed job's message, never its stack
 * (the server's file paths); an admin sees the stack. Expected refusals (4xx, 429, a full
 * queue's 503) are logged at info/warn without a stack; a 500 at error, with it.
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/http/app.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobStore } from '../../src/store/store.js';
import { waitFor } from '../helpers/wait-for.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a failed job as tenants and admins see it', () => {
  it('shows the tenant the message only, the admin the stack too', async () => {
    const adminKey = 'exposure-admin-key';
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      db: ':memory:',
      demo: false,
      adminKey,
      graceMs: 200,
    });
    server.workers.register('boom', async () => {
      throw new Error('the renderer ran out of film');
    });
    const call = async (method: 'GET' | 'POST', url: string, key: string, payload?: object) => {
      const response = await server!.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}` },
        ...(payload ? { payload } : {}),
      });
      return response.json();
    };
    const tenant = (
      await call('POST', '/api/v1/keys', adminKey, { owner: 'acme', role: 'tenant', tier: 'pro' })
    ).key as string;
    const { id } = await call('POST', '/api/v1/jobs', tenant, { queue: 'boom', maxAttempts: 1 });
    await waitFor(async () => (await call('GET', `/api/v1/jobs/${id}`, tenant)).status === 'failed', {
      message: 'the job fails',
    });
    const seen = await call('GET', `/api/v1/jobs/${id}`, tenant);
    expect(seen.error).toEqual({ message: 'the renderer ran out of film', retryable: expect.any(Boolean) });
    const listed = await call('GET', '/api/v1/jobs?queue=boom', tenant);
    expect(listed.items[0].error.stack).toBeUndefined();
    expect(JSON.stringify(listed)).not.toMatch(/\.ts:\d+|\.js:\d+/);
    const asAdmin = await call('GET', `/api/v1/jobs/${id}`, adminKey);
    expect(asAdmin.error.stack).toContain('the renderer ran out of film');
  });
});

describe('refusal log levels', () => {
  it('logs a full queue and a 404 without a stack, a 500 at error with one', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: pino lines are read field by field
    const lines: Array<Record<string, any>> = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const sqlite = new SqliteStore({ file: ':memory:' });
    const store = new Proxy(sqlite, {
      get(target, property, receiver) {
        if (property === 'listKeys')
          return () => Promise.reject(new TypeError('broken at /srv/jobgate/x.js:1'));
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as JobStore;
    const engine = new Engine({ store });
    await engine.configureQueue({ queue: 'tiny', maxWorkers: null, maxQueued: 1 });
    const { ApiKeys } = await import('../../src/engine/api-keys.js');
    const keys = new ApiKeys(store, { bootstrapAdminKey: 'log-admin-key', tiers: ['free'] });
    const logger = { level: 'info', stream };
    const app = await buildApp({ engine, keys, logger });
    const auth = { authorization: 'Bearer log-admin-key' };
    try {
      const submit = () =>
        app.inject({ method: 'POST', url: '/api/v1/jobs', headers: auth, payload: { queue: 'tiny' } });
      expect((await submit()).statusCode).toBe(202);
      expect((await submit()).statusCode).toBe(503);
      expect((await app.inject({ method: 'GET', url: '/api/v1/jobs/nope', headers: auth })).statusCode).toBe(
        404,
      );
      const broken = await app.inject({ method: 'GET', url: '/api/v1/keys', headers: auth });
      expect(broken.statusCode).toBe(500);
      expect(broken.body).not.toContain('/srv/jobgate');

      const about = (code: string) => lines.filter((line) => JSON.stringify(line).includes(code));
      const full = about('JOBGATE_ERR_QUEUE_FULL');
      expect(full.length).toBeGreaterThan(0);
      for (const line of [...full, ...about('JOBGATE_ERR_JOB_NOT_FOUND')]) {
        expect(line.level).toBeLessThanOrEqual(40);
        expect(JSON.stringify(line)).not.toContain('stack');
      }
      const failures = lines.filter((line) => line.level >= 50);
      expect(failures).toHaveLength(1);
      expect(failures[0]!.err.stack).toContain('broken at');
    } finally {
      await app.close();
      await sqlite.close();
    }
  });
});
