/**
 * Submit and wait (`POST /jobs?wait=N`): the answer is held until the job ends — 200 with
 * its result or error — or until N seconds pass — 202 with the job as it stands.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer;
let release: () => void = () => {};
beforeEach(async () => {
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  server = await createTestServer({
    setup: (workers) => {
      workers.register('fast', async (job) => ({ echoed: job.payload }), { concurrency: 1 });
      workers.register('gated', async () => {
        await gate;
        return { opened: true };
      });
      workers.register(
        'broken',
        async () => {
          throw new Error('boom');
        },
        { concurrency: 1 },
      );
    },
  });
});
afterEach(async () => {
  release();
  await server.close();
});

const submit = (queue: string, query: string, payload: unknown = { n: 1 }) =>
  server.app.inject({
    method: 'POST',
    url: `/api/v1/jobs${query}`,
    payload: { queue, payload, maxAttempts: 1 },
  });

it('answers 200 with the result once the job completes', async () => {
  const response = await submit('fast', '?wait=10', { n: 7 });
  expect(response.statusCode).toBe(200);
  expect(response.json()).toMatchObject({ status: 'completed', result: { echoed: { n: 7 } } });
});

it('answers 200 with the error of a job that failed', async () => {
  const response = await submit('broken', '?wait=10');
  expect(response.statusCode).toBe(200);
  expect(response.json()).toMatchObject({ status: 'failed', error: { message: 'boom' } });
});

it('answers 202 with the job as it stands when the wait runs out', async () => {
  const started = Date.now();
  const response = await submit('gated', '?wait=1');
  expect(response.statusCode).toBe(202);
  expect(response.json().status).toBe('running');
  expect(Date.now() - started).toBeGreaterThanOrEqual(900);
});

it('refuses a wait that is not a whole number of seconds', async () => {
  const response = await submit('fast', '?wait=soon');
  expect(response.statusCode).toBe(400);
  expect(response.json().error.code).toBe('JOBGATE_ERR_VALIDATION');
});

it('answers Location, and Idempotency-Replayed for a repeated key', async () => {
  const headers = { 'idempotency-key': 'replay-1' };
  const first = await server.app.inject({
    method: 'POST',
    url: '/api/v1/jobs',
    headers,
    payload: { queue: 'gated' },
  });
  expect(first.statusCode).toBe(202);
  expect(first.headers.location).toBe(`/api/v1/jobs/${first.json().id}`);
  expect(first.headers['idempotency-replayed']).toBeUndefined();
  const again = await server.app.inject({
    method: 'POST',
    url: '/api/v1/jobs',
    headers,
    payload: { queue: 'gated' },
  });
  expect(again.statusCode).toBe(200);
  expect(again.headers['idempotency-replayed']).toBe('true');
  expect(again.headers.location).toBe(first.headers.location);
});
