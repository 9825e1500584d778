/**
 * Every bad input answers a clean 4xx with `{error: {code, message}}` — never a 500,
 * never Fastify's own error shape, and never a job admitted by accident.
 */
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await createTestServer();
});

afterAll(async () => {
  await server.close();
});

const json = { 'content-type': 'application/json' };
const submitJson = (body: unknown): InjectOptions => ({
  method: 'POST',
  url: '/api/v1/jobs',
  headers: json,
  payload: JSON.stringify(body),
});
const submitRaw = (payload: string, headers: Record<string, string> = json): InjectOptions => ({
  method: 'POST',
  url: '/api/v1/jobs',
  headers,
  payload,
});
const get = (url: string): InjectOptions => ({ method: 'GET', url });
const post = (url: string): InjectOptions => ({ method: 'POST', url });
/** A JSON payload nested `depth` arrays deep: tiny on the wire, deep enough to overflow a recursive walk. */
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

interface Case {
  name: string;
  request: InjectOptions;
  status: number;
  /** The exact code; a list only where two fixes are equally right. */
  code: string | readonly string[];
}

const cases: Case[] = [
  // ---- the body as a whole
  {
    name: 'malformed JSON',
    request: submitRaw('{"queue": "q",'),
    status: 400,
    code: 'JOBGATE_ERR_BAD_REQUEST',
  },
  {
    name: 'a JSON array as body',
    request: submitJson([{ queue: 'q' }]),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  { name: 'a null body', request: submitRaw('null'), status: 400, code: 'JOBGATE_ERR_VALIDATION' },
  { name: 'a JSON string as body', request: submitJson('q'), status: 400, code: 'JOBGATE_ERR_VALIDATION' },
  { name: 'a JSON number as body', request: submitRaw('42'), status: 400, code: 'JOBGATE_ERR_VALIDATION' },
  { name: 'an empty body', request: submitRaw(''), status: 400, code: 'JOBGATE_ERR_VALIDATION' },
  {
    name: 'a 2 MiB body',
    request: submitJson({ queue: 'q', payload: 'x'.repeat(2 * 1024 * 1024) }),
    status: 413,
    code: 'JOBGATE_ERR_BODY_TOO_LARGE',
  },
  {
    name: 'text/plain content type',
    request: submitRaw('{"queue":"q"}', { 'content-type': 'text/plain' }),
    status: 415,
    code: 'JOBGATE_ERR_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'form content type',
    request: submitRaw('queue=q', { 'content-type': 'application/x-www-form-urlencoded' }),
    status: 415,
    code: 'JOBGATE_ERR_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a body without a content type',
    request: { method: 'POST', url: '/api/v1/jobs', payload: '{"queue":"q"}' },
    status: 415,
    code: 'JOBGATE_ERR_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a payload nested 10,000 levels deep',
    request: submitRaw(`{"queue":"q","payload":${nested(10_000)}}`),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a payload nested 10,000 levels deep with an Idempotency-Key',
    request: {
      ...submitRaw(`{"queue":"q","payload":${nested(10_000)}}`),
      headers: { ...json, 'idempotency-key': 'deep' },
    },
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },

  // ---- fields
  {
    name: 'priority as a string',
    request: submitJson({ queue: 'q', priority: '5' }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'priority 11',
    request: submitJson({ queue: 'q', priority: 11 }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'priority 0',
    request: submitJson({ queue: 'q', priority: 0 }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'priority 1.5',
    request: submitJson({ queue: 'q', priority: 1.5 }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'priority 1e400',
    request: submitRaw('{"queue":"q","priority":1e400}'),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'queue as a number',
    request: submitJson({ queue: 123 }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'missing queue',
    request: submitJson({ payload: { a: 1 } }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'an empty queue name',
    request: submitJson({ queue: '' }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a queue name with spaces',
    request: submitJson({ queue: 'my queue' }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a 129-character queue name',
    request: submitJson({ queue: 'q'.repeat(129) }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a bad type name',
    request: submitJson({ queue: 'q', type: '../etc' }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'maxAttempts 0',
    request: submitJson({ queue: 'q', maxAttempts: 0 }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'maxAttempts 101',
    request: submitJson({ queue: 'q', maxAttempts: 101 }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'timeoutMs 0',
    request: submitJson({ queue: 'q', timeoutMs: 0 }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a negative delayMs',
    request: submitJson({ queue: 'q', delayMs: -1 }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a fractional delayMs',
    request: submitJson({ queue: 'q', delayMs: 1.5 }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'an unknown field',
    request: submitJson({ queue: 'q', colour: 'red' }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a __proto__ field',
    request: submitRaw('{"queue":"q","__proto__":{"admin":true}}'),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'runAt not a date',
    request: submitJson({ queue: 'q', runAt: 'tomorrow' }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'runAt a date without a time',
    request: submitJson({ queue: 'q', runAt: '2030-01-01' }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'runAt as a number',
    request: submitJson({ queue: 'q', runAt: Date.now() }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'runAt a leap second',
    request: submitJson({ queue: 'q', runAt: '2016-12-31T23:59:60Z' }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'runAt together with delayMs',
    request: submitJson({ queue: 'q', runAt: '2030-01-01T00:00:00Z', delayMs: 1000 }),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'an unknown parentId',
    request: submitJson({ queue: 'q', parentId: 'no-such-job' }),
    status: 422,
    code: 'JOBGATE_ERR_UNPROCESSABLE',
  },
  {
    name: 'an empty Idempotency-Key',
    request: { ...submitJson({ queue: 'q' }), headers: { ...json, 'idempotency-key': '' } },
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },

  // ---- batch
  {
    name: 'a batch with no jobs',
    request: { ...submitJson({ jobs: [] }), url: '/api/v1/jobs/batch' },
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a batch whose jobs is not an array',
    request: { ...submitJson({ jobs: { queue: 'q' } }), url: '/api/v1/jobs/batch' },
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a batch of 1,001 jobs',
    request: {
      ...submitJson({ jobs: Array.from({ length: 1001 }, () => ({ queue: 'q' })) }),
      url: '/api/v1/jobs/batch',
    },
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    // A schema-invalid item fails alone (test/http/counters-and-limits.test.ts); the batch's own shape is checked whole.
    name: 'a batch with an unknown top-level field',
    request: {
      ...submitJson({ jobs: [{ queue: 'q' }], surprise: true }),
      url: '/api/v1/jobs/batch',
    },
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },

  // ---- ids and routes
  {
    name: 'get of an unknown job id',
    request: get('/api/v1/jobs/no-such-job'),
    status: 404,
    code: 'JOBGATE_ERR_JOB_NOT_FOUND',
  },
  {
    name: 'cancel of an unknown job id',
    request: post('/api/v1/jobs/no-such-job/cancel'),
    status: 404,
    code: 'JOBGATE_ERR_JOB_NOT_FOUND',
  },
  {
    name: 'retry of an unknown job id',
    request: post('/api/v1/jobs/no-such-job/retry'),
    status: 404,
    code: 'JOBGATE_ERR_JOB_NOT_FOUND',
  },
  {
    name: 'confirm of an unknown job id',
    request: post('/api/v1/jobs/no-such-job/confirm'),
    status: 404,
    code: 'JOBGATE_ERR_JOB_NOT_FOUND',
  },
  {
    name: 'a 65-character job id',
    request: get(`/api/v1/jobs/${'a'.repeat(65)}`),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a 500-character job id',
    request: get(`/api/v1/jobs/${'a'.repeat(500)}`),
    status: 400,
    code: ['JOBGATE_ERR_BAD_REQUEST', 'JOBGATE_ERR_VALIDATION'],
  },
  {
    name: 'a malformed percent-encoding in the path',
    request: get('/api/v1/jobs/%E0%A4%A'),
    status: 400,
    code: 'JOBGATE_ERR_BAD_REQUEST',
  },
  {
    name: 'cancel with a text/plain body',
    request: {
      method: 'POST',
      url: '/api/v1/jobs/x/cancel',
      headers: { 'content-type': 'text/plain' },
      payload: 'now',
    },
    status: 415,
    code: 'JOBGATE_ERR_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'cancel with a malformed JSON body',
    request: { method: 'POST', url: '/api/v1/jobs/x/cancel', headers: json, payload: '{' },
    status: 400,
    code: 'JOBGATE_ERR_BAD_REQUEST',
  },
  {
    name: 'an unknown route',
    request: get('/api/v1/nothing-here'),
    status: 404,
    code: 'JOBGATE_ERR_NOT_FOUND',
  },
  {
    name: 'an unknown top-level route',
    request: get('/no/such/route'),
    status: 404,
    code: 'JOBGATE_ERR_NOT_FOUND',
  },
  {
    name: 'a wrong method',
    request: { method: 'PUT', url: '/api/v1/jobs/x' },
    status: 405,
    code: 'JOBGATE_ERR_METHOD_NOT_ALLOWED',
  },

  // ---- list query
  { name: 'limit=0', request: get('/api/v1/jobs?limit=0'), status: 400, code: 'JOBGATE_ERR_VALIDATION' },
  { name: 'limit=501', request: get('/api/v1/jobs?limit=501'), status: 400, code: 'JOBGATE_ERR_VALIDATION' },
  { name: 'limit=abc', request: get('/api/v1/jobs?limit=abc'), status: 400, code: 'JOBGATE_ERR_VALIDATION' },
  { name: 'limit=-1', request: get('/api/v1/jobs?limit=-1'), status: 400, code: 'JOBGATE_ERR_VALIDATION' },
  { name: 'limit=1e3', request: get('/api/v1/jobs?limit=1e3'), status: 400, code: 'JOBGATE_ERR_VALIDATION' },
  {
    name: 'limit given twice',
    request: get('/api/v1/jobs?limit=1&limit=2'),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'status=bogus',
    request: get('/api/v1/jobs?status=bogus'),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a bad queue filter',
    request: get('/api/v1/jobs?queue=a%20b'),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'an unknown query parameter',
    request: get('/api/v1/jobs?sort=asc'),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a cursor that is not base64url',
    request: get('/api/v1/jobs?cursor=!!!'),
    status: 400,
    code: 'JOBGATE_ERR_BAD_REQUEST',
  },
  {
    name: 'a cursor of a negative number',
    request: get(`/api/v1/jobs?cursor=${Buffer.from('-1').toString('base64url')}`),
    status: 400,
    code: 'JOBGATE_ERR_BAD_REQUEST',
  },
  {
    name: 'a cursor of garbage text',
    request: get(`/api/v1/jobs?cursor=${Buffer.from('hello').toString('base64url')}`),
    status: 400,
    code: 'JOBGATE_ERR_BAD_REQUEST',
  },
  {
    name: 'a cursor over 8 KiB',
    request: get(`/api/v1/jobs?cursor=${'A'.repeat(8193)}`),
    status: 400,
    code: 'JOBGATE_ERR_VALIDATION',
  },
  {
    name: 'a long cursor this server did not issue',
    request: get(`/api/v1/jobs?cursor=${'A'.repeat(200)}`),
    status: 400,
    code: 'JOBGATE_ERR_BAD_REQUEST',
  },
];

describe('bad input', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.status} ${String(c.code)}`, async () => {
      const response = await server.app.inject(c.request);
      expect(response.statusCode, response.body).toBeLessThan(500);
      expect(response.statusCode, response.body).toBe(c.status);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      const body = response.json();
      expect(Object.keys(body), response.body).toEqual(['error']);
      if (typeof c.code === 'string') expect(body.error.code, response.body).toBe(c.code);
      else expect(c.code, response.body).toContain(body.error.code);
      expect(typeof body.error.message).toBe('string');
      expect(body.error.message.length).toBeGreaterThan(0);
    });
  }

  it('admitted no job for any of the bad requests, and the server is still healthy', async () => {
    for (const c of cases) await server.app.inject(c.request);
    // Every case above that names a queue names `q` (or an invalid name).
    const list = await server.app.inject(get('/api/v1/jobs?queue=q&limit=500'));
    expect(list.statusCode).toBe(200);
    expect(list.json().items).toEqual([]);
    const health = await server.app.inject(get('/health'));
    expect(health.json()).toMatchObject({ status: 'ok' });
  });

  it('answers 409 JOBGATE_ERR_IDEMPOTENCY_CONFLICT when a key is reused with another body', async () => {
    const headers = { ...json, 'idempotency-key': 'same-key' };
    const first = await server.app.inject({ ...submitJson({ queue: 'idem' }), headers });
    expect(first.statusCode, first.body).toBe(202);
    const again = await server.app.inject({ ...submitJson({ queue: 'idem' }), headers });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    const other = await server.app.inject({ ...submitJson({ queue: 'idem', priority: 1 }), headers });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ error: { code: 'JOBGATE_ERR_IDEMPOTENCY_CONFLICT' } });
  });

  it('gives a batch item with an unstorable payload its own 4xx error, not an internal one', async () => {
    const response = await server.app.inject({
      method: 'POST',
      url: '/api/v1/jobs/batch',
      headers: json,
      payload: `{"jobs":[{"queue":"batch-deep","payload":${nested(10_000)}},{"queue":"batch-deep"}]}`,
    });
    expect(response.statusCode, response.body).toBe(202);
    const { items } = response.json();
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ status: 'error', error: { code: 'JOBGATE_ERR_VALIDATION' } });
    expect(items[1]).toMatchObject({ status: 'accepted' });
  });
});
