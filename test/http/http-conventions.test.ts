/**
 * The HTTP conventions clients rely on: X-Request-Id echoed or made, 405 with Allow for
 * a known path under another method, WWW-Authenticate on 401, CORS off unless the config
 * names origins.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { validateConfig } from '../../src/config/load-config.js';

let server: RunningServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(raw: Record<string, unknown> = {}) {
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    db: ':memory:',
    demo: false,
    adminKey: 'conventions-admin',
    config: validateConfig(raw),
    graceMs: 100,
    logger: false,
  });
  return server.app;
}
const admin = { authorization: 'Bearer conventions-admin' };

describe('request ids', () => {
  it('echoes a caller’s X-Request-Id and makes one otherwise', async () => {
    const app = await start();
    const given = await app.inject({ url: '/health', headers: { 'x-request-id': 'trace-42.a:b' } });
    expect(given.headers['x-request-id']).toBe('trace-42.a:b');
    const made = await app.inject({ url: '/api/v1/jobs', headers: admin });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const junk = await app.inject({ url: '/health', headers: { 'x-request-id': 'a b <script>' } });
    expect(junk.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('405 Method Not Allowed', () => {
  it('answers 405 with Allow for a known path and another method', async () => {
    const app = await start();
    const response = await app.inject({ method: 'DELETE', url: '/api/v1/jobs', headers: admin });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, POST');
    expect(response.json().error).toMatchObject({
      code: 'JOBGATE_ERR_METHOD_NOT_ALLOWED',
      details: { allow: ['GET', 'HEAD', 'POST'] },
    });
    const item = await app.inject({ method: 'PUT', url: '/api/v1/jobs/some-id/cancel', headers: admin });
    expect(item.statusCode).toBe(405);
    expect(item.headers.allow).toBe('POST');
  });

  it('keeps 404 for a path no route has', async () => {
    const app = await start();
    const response = await app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: admin });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('JOBGATE_ERR_NOT_FOUND');
  });
});

describe('401', () => {
  it('carries WWW-Authenticate: Bearer', async () => {
    const app = await start();
    const missing = await app.inject({ url: '/api/v1/jobs' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="jobgate"');
    const bad = await app.inject({ url: '/api/v1/jobs', headers: { authorization: 'Bearer jg_nope' } });
    expect(bad.headers['www-authenticate']).toBe('Bearer realm="jobgate"');
  });
});

describe('CORS', () => {
  const preflight = {
    method: 'OPTIONS' as const,
    url: '/api/v1/jobs',
    headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
  };

  it('is off by default: no CORS headers for a foreign origin', async () => {
    const app = await start();
    const response = await app.inject({
      url: '/api/v1/jobs',
      headers: { ...admin, origin: 'https://app.example.com' },
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect((await app.inject(preflight)).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows the configured origins only', async () => {
    const app = await start({ cors: { origins: ['https://app.example.com'] } });
    const ok = await app.inject(preflight);
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(String(ok.headers['access-control-allow-headers'])).toContain('idempotency-key');
    const other = await app.inject({
      ...preflight,
      headers: { ...preflight.headers, origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses a malformed origin in the config', () => {
    expect(() => validateConfig({ cors: { origins: ['app.example.com/path'] } })).toThrow(/cors\.origins/);
  });
});
