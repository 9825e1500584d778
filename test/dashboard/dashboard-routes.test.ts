/**
 * The server side of the dashboard through app.inject(): the built files at `/` with
 * their caching headers, the per-minute queue history, and the admin tenants summary
 * (with rate-limit refusals counted per owner).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/engine/api-keys.js';
import { Engine } from '../../src/engine/engine.js';
import { RateLimitTally } from '../../src/engine/rate-limit-tally.js';
import { buildApp } from '../../src/http/app.js';
import { immutableCache, revalidateCache } from '../../src/http/dashboard-static.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { unlimitedOwner } from '../../src/store/store.js';
import { dashboardDir, requireBuild } from './harness.js';

const admin = 'jg-routes-test-admin';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function setup(options: { rate?: boolean } = {}) {
  const store = new SqliteStore({ file: ':memory:' });
  const engine = new Engine({
    store,
    limitsFor: (principal) => ({ ...unlimitedOwner, dailyJobs: principal.tier === 'free' ? 10 : null }),
  });
  const keys = new ApiKeys(store, { bootstrapAdminKey: admin, tiers: ['free', 'pro'] });
  const app = await buildApp({
    engine,
    keys,
    rateFor: options.rate
      ? (principal) => (principal.keyId === 'bootstrap' ? null : { ratePerMinute: 1, burst: 2 })
      : undefined,
  });
  closers.push(async () => {
    await app.close();
    await store.close();
  });
  const call = async (method: 'GET' | 'POST', url: string, key = admin, payload?: unknown) => {
    const response = await app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${key}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
  };
  return { app, engine, keys, call };
}

describe('dashboard static files', () => {
  it('serves index.html revalidated and hashed assets immutable, and keeps the API 404s', async () => {
    requireBuild();
    const { app } = await setup();
    const index = await app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toContain('text/html');
    expect(index.headers['cache-control']).toBe(revalidateCache);
    expect(index.body).toContain('<div id="root">');

    const asset = readdirSync(join(dashboardDir, 'assets')).find((name) => name.endsWith('.js'))!;
    const script = await app.inject({ method: 'GET', url: `/assets/${asset}` });
    expect(script.statusCode).toBe(200);
    expect(script.headers['cache-control']).toBe(immutableCache);
    expect(script.headers['content-type']).toContain('javascript');

    const missing = await app.inject({ method: 'GET', url: '/assets/nope-12345678.js' });
    expect(missing.statusCode).toBe(404);
    const api = await app.inject({
      method: 'GET',
      url: '/api/v1/nope',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(api.statusCode).toBe(404);
    expect(JSON.parse(api.body).error.code).toBe('JOBGATE_ERR_NOT_FOUND');
  });
});

describe('GET /api/v1/queues/:queue/history', () => {
  it('buckets the last hour per minute: finished counts and median wait and run', async () => {
    const { engine, call } = await setup();
    const submitted = await call('POST', '/api/v1/jobs', admin, { queue: 'q', payload: {} });
    expect(submitted.status).toBe(202);
    const [claimed] = await engine.claim({ queue: 'q', workerId: 'w1', limit: 1 });
    await engine.complete({ id: claimed!.id, token: claimed!.leaseToken }, { ok: true });
    await call('POST', '/api/v1/jobs', admin, { queue: 'q', payload: {} });
    const [second] = await engine.claim({ queue: 'q', workerId: 'w1', limit: 1 });
    await engine.fail({ id: second!.id, token: second!.leaseToken }, { message: 'x', retryable: false }, 99);

    const { status, body } = await call('GET', '/api/v1/queues/q/history');
    expect(status).toBe(200);
    expect(body.bucketMs).toBe(60_000);
    expect(body.buckets).toHaveLength(60);
    const last = body.buckets.at(-1);
    expect(last.completed + last.failed).toBeGreaterThanOrEqual(1);
    const totals = body.buckets.reduce(
      (sum: { completed: number; failed: number }, b: { completed: number; failed: number }) => ({
        completed: sum.completed + b.completed,
        failed: sum.failed + b.failed,
      }),
      { completed: 0, failed: 0 },
    );
    expect(totals).toEqual({ completed: 1, failed: 1 });
    expect(typeof last.waitMsP50).toBe('number');
    expect(body.buckets[0].waitMsP50).toBeNull();

    const bad = await call('GET', '/api/v1/queues/%20bad/history');
    expect(bad.status).toBe(400);
  });
});

describe('GET /api/v1/tenants', () => {
  it('gives each tenant its counts, usage against quota, tiers and rate-limit refusals; admins only', async () => {
    const { keys, call } = await setup({ rate: true });
    const acme = (await keys.create({ owner: 'acme', role: 'tenant', tier: 'free' })).key;
    const globex = (await keys.create({ owner: 'globex', role: 'tenant', tier: 'pro' })).key;
    await keys.create({ owner: 'robots', role: 'worker', tier: 'free' });
    expect((await call('POST', '/api/v1/jobs', acme, { queue: 'q' })).status).toBe(202);
    expect((await call('POST', '/api/v1/jobs', acme, { queue: 'q', delayMs: 60_000 })).status).toBe(202);
    // The bucket holds 2: the third request of acme is refused.
    expect((await call('GET', '/api/v1/usage', acme)).status).toBe(429);
    expect((await call('GET', '/api/v1/tenants', globex)).status).toBe(403);

    const { status, body } = await call('GET', '/api/v1/tenants');
    expect(status).toBe(200);
    const byOwner = Object.fromEntries(body.items.map((item: { owner: string }) => [item.owner, item]));
    expect(Object.keys(byOwner).sort()).toEqual(['acme', 'globex']);
    expect(byOwner.acme).toMatchObject({
      tiers: ['free'],
      activeKeys: 1,
      running: 0,
      queued: 1,
      scheduled: 1,
      countsCapped: false,
      dailyLimit: 10,
      rateLimitedToday: 1,
    });
    expect(byOwner.acme.usage.jobsUsed).toBe(2);
    expect(byOwner.globex).toMatchObject({
      tiers: ['pro'],
      queued: 0,
      dailyLimit: null,
      rateLimitedToday: 0,
    });
  });

  it('counts refusals per owner and per minute, forgetting the old ones', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const tally = new RateLimitTally({ windowMs: 3 * 60_000, now: () => now });
    tally.record('a');
    tally.record('a');
    now += 60_000;
    tally.record('a');
    tally.record('b');
    expect(tally.since('a', 0)).toBe(3);
    expect(tally.since('a', now)).toBe(1);
    expect(tally.since('b', 0)).toBe(1);
    expect(tally.since('c', 0)).toBe(0);
  });
});
