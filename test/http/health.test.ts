/** /health and /ready: store reachability with a deadline, worker slots per queue, version, uptime. */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/http/app.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobStore } from '../../src/store/store.js';
import { createTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('GET /health', () => {
  it('reports the store, worker slots per queue, version and uptime', async () => {
    let release: () => void = () => {};
    server = await createTestServer({
      setup: (workers) => {
        workers.register(
          'render',
          () =>
            new Promise<void>((resolve) => {
              release = resolve;
            }),
          { concurrency: 3 },
        );
        workers.register('mail', async () => null);
      },
    });
    const body = (await server.app.inject({ method: 'GET', url: '/health' })).json();
    expect(body).toMatchObject({
      status: 'ok',
      store: { name: 'sqlite', ok: true },
      workers: {
        mail: { initializing: 0, ready: 0, idle: 1, running: 0, draining: 0 },
        render: { idle: 3, running: 0 },
      },
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    expect(body.store.latencyMs).toBeGreaterThanOrEqual(0);
    expect(body.uptimeSec).toBeGreaterThanOrEqual(0);

    await server.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: { queue: 'render' } });
    await waitFor(
      async () =>
        (await server!.app.inject({ method: 'GET', url: '/health' })).json().workers.render.running === 1,
    );
    expect((await server.app.inject({ method: 'GET', url: '/health' })).json().workers.render).toMatchObject({
      idle: 2,
      running: 1,
    });
    release();
  });

  it('says degraded (and /ready 503) when the store does not answer its ping in time', async () => {
    const sqlite = new SqliteStore({ file: ':memory:' });
    let ping: () => Promise<number> = () => Promise.resolve(1);
    const store = new Proxy(sqlite, {
      get(target, property, receiver) {
        if (property === 'ping') return () => ping();
        const value = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as JobStore;
    const app = await buildApp({ engine: new Engine({ store }) });
    try {
      ping = () => new Promise<number>(() => {});
      const started = Date.now();
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(health.statusCode).toBe(200);
      expect(health.json()).toMatchObject({
        status: 'degraded',
        store: { ok: false, latencyMs: null, error: expect.stringContaining('did not answer') },
        workers: {},
      });
      expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(503);
      ping = () => Promise.resolve(0.5);
      expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await sqlite.close();
    }
  });
});
