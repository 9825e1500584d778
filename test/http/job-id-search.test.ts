/** `GET /api/v1/jobs?id=<prefix>`: the short id the list shows finds the job, within the caller's jobs. */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('id prefix search', () => {
  it('finds a job by its first 8 characters and refuses a malformed prefix', async () => {
    server = await createTestServer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await server.app.inject({
        method: 'POST',
        url: '/api/v1/jobs',
        payload: { queue: 'find', payload: { i }, delayMs: 60_000 },
      });
      ids.push(response.json().id);
    }
    const target = ids[1]!;
    const found = await server.app.inject({ method: 'GET', url: `/api/v1/jobs?id=${target.slice(0, 8)}` });
    expect(found.statusCode).toBe(200);
    expect(found.json().items.map((job: { id: string }) => job.id)).toEqual([target]);
    const none = await server.app.inject({ method: 'GET', url: '/api/v1/jobs?id=zzzzzzzz' });
    expect(none.json().items).toEqual([]);
    const bad = await server.app.inject({ method: 'GET', url: '/api/v1/jobs?id=a%25b' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('JOBGATE_ERR_VALIDATION');
    // A cursor of a prefix listing holds only under that prefix.
    const first = await server.app.inject({ method: 'GET', url: '/api/v1/jobs?limit=1' });
    const cursor = first.json().nextCursor as string;
    const other = await server.app.inject({
      method: 'GET',
      url: `/api/v1/jobs?limit=1&id=${target.slice(0, 2)}&cursor=${encodeURIComponent(cursor)}`,
    });
    expect(other.statusCode).toBe(400);
  });
});
