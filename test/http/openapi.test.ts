/**
 * The OpenAPI document: valid OpenAPI 3.1, every registered route in it, and every
 * error variant of the registry documented on the /api/v1 routes.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { ERROR_CODES } from '../../src/domain/errors.js';
import { errorResponses } from '../../src/http/schemas.js';

interface Operation {
  summary?: string;
  security?: unknown[];
  responses: Record<string, { description?: string; content?: Record<string, { schema: unknown }> }>;
}
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    db: ':memory:',
    demo: false,
    adminKey: 'openapi-admin',
    graceMs: 100,
  });
});

afterAll(async () => {
  await server.close();
});

/**
 * Fastify's own list of routes, read from `printRoutes` (the only public listing): a
 * tree whose lines are `│   ├── /segment (GET, HEAD)`, four columns per level.
 * HEAD routes are Fastify's automatic twins of GET routes and are left out.
 */
function registeredRoutes(app: FastifyInstance): string[] {
  const found: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = [...match[1]!].length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    const url = stack.join('');
    for (const method of (match[3] ?? '').split(', ').filter((m) => m && m !== 'HEAD')) {
      found.push(`${method} ${url.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return found;
}

async function fetchDocument(): Promise<Document> {
  const response = await server.app.inject({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  return response.json<Document>();
}

describe('OpenAPI', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const document = await fetchDocument();
    expect(document.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  it('lists every route the server registered, with its methods', async () => {
    const document = await fetchDocument();
    const documented = new Set(
      Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const registered = registeredRoutes(server.app);
    expect(registered.length).toBeGreaterThan(20);
    // Every API route is documented; what is left out are pages (Swagger UI, the dashboard) and the document itself.
    const isApi = (route: string) => /^[A-Z]+ \/(api\/|health$|ready$|metrics$)/.test(route);
    expect(registered.filter((route) => isApi(route) && !documented.has(route))).toEqual([]);
    expect(registered).toContain('GET /openapi.json');
    expect(documented.has('GET /openapi.json')).toBe(false);
    for (const must of [
      'GET /api/v1/jobs/{id}/events',
      'GET /api/v1/ws',
      'GET /api/v1/queues',
      'GET /api/v1/queues/{queue}/status',
      'GET /api/v1/queues/{queue}/stats',
      'GET /api/v1/queues/{queue}/active',
      'POST /api/v1/queues/{queue}/pause',
      'POST /api/v1/queues/{queue}/resume',
      'POST /api/v1/queues/{queue}/clear',
      'GET /metrics',
      'GET /health',
      'GET /ready',
    ]) {
      expect(documented, must).toContain(must);
    }
  });

  it('documents every error variant of the registry on the API routes, and their security', async () => {
    // 405 is the router's answer for a method no operation takes: the document's description says so.
    const statuses = new Set(
      Object.values(ERROR_CODES)
        .map(({ status }) => String(status))
        .filter((status) => status !== '405'),
    );
    expect(Object.keys(errorResponses).sort()).toEqual([...statuses].sort());
    const document = await fetchDocument();
    const text = JSON.stringify(document);
    for (const code of Object.keys(ERROR_CODES)) expect(text, code).toContain(code);
    for (const [path, operations] of Object.entries(document.paths)) {
      if (!path.startsWith('/api/v1/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.summary, `${method} ${path}`).toBeTruthy();
        expect(operation.security, `${method} ${path}`).toEqual([{ apiKey: [] }]);
        for (const status of ['400', '401', '403', '404', '429', '500', '503'])
          expect(Object.keys(operation.responses), `${method} ${path}`).toContain(status);
      }
    }
    const notFound = document.paths['/api/v1/jobs/{id}']!.get!.responses['404']!;
    expect(notFound.description).toContain('JOBGATE_ERR_JOB_NOT_FOUND');
    expect(document.paths['/api/v1/jobs/{id}/events']!.get!.responses['200']!.content).toHaveProperty(
      'text/event-stream',
    );
  });

  it('serves Swagger UI at /docs', async () => {
    const page = await server.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger');
  });
});
