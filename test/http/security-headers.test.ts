/**
 * Security headers on every kind of response: the dashboard, the API (answered, refused,
 * unknown route), Swagger UI, /health and /metrics — the CSP forbids framing and
 * foreign scripts, and the other headers come along.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/engine/api-keys.js';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/http/app.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const adminKey = `jg_000000000000_${'a'.repeat(40)}`;
let app: FastifyInstance;
let close: () => Promise<void>;
beforeAll(async () => {
  const store = new SqliteStore({ file: ':memory:' });
  const engine = new Engine({ store });
  app = await buildApp({
    engine,
    keys: new ApiKeys(store, { bootstrapAdminKey: adminKey, tiers: ['free'] }),
  });
  close = async () => {
    await app.close();
    await engine.stop();
    await store.close();
  };
});
afterAll(() => close());

const routes: Array<[string, string, Record<string, string>, number]> = [
  ['the dashboard', '/', {}, 200],
  ['health', '/health', {}, 200],
  ['an API answer', '/api/v1/jobs', { authorization: `Bearer ${adminKey}` }, 200],
  ['a refused API call', '/api/v1/jobs', {}, 401],
  ['an unknown route', '/nope', {}, 404],
  ['Swagger UI', '/docs', {}, 200],
  ['a Swagger UI file', '/docs/static/swagger-initializer.js', {}, 200],
  ['metrics', '/metrics', {}, 200],
];

describe('security headers', () => {
  it.each(routes)('are on %s', async (_what, url, headers, status) => {
    const response = await app.inject({ method: 'GET', url, headers });
    expect(response.statusCode).toBe(status);
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(response.headers['x-frame-options']).toBe('DENY');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
  });
});
