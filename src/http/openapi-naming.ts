/**
 * What makes the OpenAPI document fit for code generators: an operationId and a tag on
 * every operation, and the shared shapes as named components (`Job`, `Error`, …)
 * referenced with `$ref` instead of repeated inline.
 *
 * A route may name its operation (`schema.operationId`); otherwise the name is derived
 * from its method and path, so a new route is named the moment it is added:
 * `GET /api/v1/jobs` → `listJobs`, `GET /api/v1/jobs/:id` → `getJob`,
 * `POST /api/v1/jobs/:id/cancel` → `cancelJob`, `GET /api/v1/queues/:queue/status` →
 * `getQueueStatus`. The test in test/http/openapi.test.ts checks they are unique.
 */
import type { TSchema } from 'typebox';

const singular = (word: string) =>
  word.endsWith('ies')
    ? `${word.slice(0, -3)}y`
    : word.endsWith('s') && !word.endsWith('ss')
      ? word.slice(0, -1)
      : word;
const pascal = (word: string) =>
  word
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');

/** Path segments after /api/v1 (or the root), `:param` kept as a marker. */
function segments(url: string): string[] {
  return url
    .replace(/^\/api\/v1/, '')
    .split('/')
    .filter((part) => part !== '' && part !== '*');
}

/** Operations whose derived name would read badly: a verb of their own. */
const namedOperations: Record<string, string> = {
  'GET /health': 'getHealth',
  'GET /ready': 'getReady',
  'GET /metrics': 'getMetrics',
  'POST /api/v1/jobs': 'submitJob',
  'POST /api/v1/jobs/batch': 'submitJobBatch',
  'GET /api/v1/usage': 'getUsage',
  'GET /api/v1/ws': 'openLiveSocket',
  'GET /api/v1/queues/:queue/active': 'listActiveJobs',
  'DELETE /api/v1/keys/:id': 'revokeKey',
  'POST /api/v1/workers': 'registerWorker',
  'DELETE /api/v1/workers/:workerId': 'deregisterWorker',
  'POST /api/v1/workers/:workerId/lease': 'leaseJobs',
  'POST /api/v1/workers/:workerId/heartbeat': 'heartbeat',
  'POST /api/v1/workers/:workerId/jobs/:jobId/progress': 'reportProgress',
  'POST /api/v1/workers/:workerId/jobs/:jobId/complete': 'completeLeasedJob',
  'POST /api/v1/workers/:workerId/jobs/:jobId/fail': 'failLeasedJob',
  'POST /api/v1/workers/:workerId/jobs/:jobId/release': 'releaseLeasedJob',
};

export function tagFor(url: string): string {
  if (!url.startsWith('/api/')) return url.startsWith('/hooks') ? 'hooks' : 'system';
  return segments(url)[0] ?? 'system';
}

/**
 * camelCase from the method and the nouns of the path: a parameter makes the noun
 * before it singular (`/jobs/:id` → Job); a last plain segment after a parameter is the
 * action for POST (`/jobs/:id/cancel` → cancelJob) or a sub-resource for reads
 * (`/queues/:queue/stats` → getQueueStats).
 */
export function operationIdFor(method: string, url: string): string {
  const named = namedOperations[`${method.toUpperCase()} ${url}`];
  if (named) return named;
  const parts = segments(url);
  if (parts.length === 0) return `${method.toLowerCase()}Root`;
  const nouns: string[] = [];
  for (const [index, part] of parts.entries()) {
    if (part.startsWith(':')) continue;
    const next = parts[index + 1];
    nouns.push(next?.startsWith(':') ? singular(part) : part);
  }
  const last = parts[parts.length - 1]!;
  const endsOnItem = last.startsWith(':');
  const verb = method.toUpperCase();
  if (verb === 'POST' && !endsOnItem && parts.length > 1 && parts[parts.length - 2]!.startsWith(':')) {
    const action = nouns.pop()!;
    return `${action.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}${pascal(nouns.join('-'))}`;
  }
  const noun = pascal(nouns.join('-'));
  switch (verb) {
    case 'GET':
      return endsOnItem || parts.length > 1 ? `get${noun}` : `list${noun}`;
    case 'POST':
      return `create${pascal(singular(nouns.join('-')))}`;
    case 'PATCH':
      return `update${noun}`;
    case 'PUT':
      return `put${noun}`;
    case 'DELETE':
      return `delete${noun}`;
    default:
      return `${verb.toLowerCase()}${noun}`;
  }
}

type Json = unknown;

/**
 * Key-order-independent JSON, to find a named schema wherever the document inlined it.
 * @fastify/swagger writes `const: x` as `enum: [x]`, a record's `patternProperties` of
 * `^.*$` as `additionalProperties`, and titles the shared schemas it lifts into
 * components; none of that changes what a schema is.
 */
function canonical(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const record = { ...(value as Record<string, Json>) };
    delete record.title;
    delete record.$id;
    const anyKey = (record.patternProperties as Record<string, Json> | undefined)?.['^.*$'];
    if (anyKey !== undefined && Object.keys(record.patternProperties as object).length === 1) {
      record.additionalProperties = anyKey;
      delete record.patternProperties;
    }
    if ('const' in record) {
      record.enum = [record.const];
      delete record.const;
    }
    const entries = Object.entries(record)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const refTo = (name: string) => `#/components/schemas/${name}`;

/**
 * Puts each named schema in `components.schemas` and replaces every inline copy of it in
 * the document with a `$ref` (a Job inside a JobPage too). Components @fastify/swagger
 * made of shared schemas (`def-0`, …) take the name of the schema they are.
 */
export function nameComponents(document: Record<string, Json>, named: Record<string, TSchema>): void {
  const byShape = new Map<string, string>();
  for (const [name, schema] of Object.entries(named))
    byShape.set(canonical(JSON.parse(JSON.stringify(schema))), name);
  const existing = (document.components ?? {}) as Record<string, Json>;
  const generated = { ...((existing.schemas ?? {}) as Record<string, Json>) };
  const renamed = new Map<string, string>();
  for (const [key, schema] of Object.entries(generated)) {
    if (!/^def-\d+$/.test(key)) continue;
    // A shared schema of its own (its `$id` became the title): it keeps that name.
    const title = (schema as { title?: unknown }).title;
    const name = byShape.get(canonical(schema)) ?? (typeof title === 'string' ? title : undefined);
    if (!name) continue;
    renamed.set(refTo(key), refTo(name));
    delete generated[key];
    if (!byShape.has(canonical(schema))) generated[name] = schema;
  }
  const components: Record<string, Json> = {};
  const replace = (value: Json, self: string | null): Json => {
    if (Array.isArray(value)) return value.map((item) => replace(item, null));
    if (!value || typeof value !== 'object') return value;
    const walked: Record<string, Json> = {};
    for (const [key, child] of Object.entries(value as Record<string, Json>)) {
      walked[key] =
        key === '$ref' && typeof child === 'string' ? (renamed.get(child) ?? child) : replace(child, null);
    }
    const name = byShape.get(canonical(value));
    if (name && name !== self) {
      components[name] ??= walked;
      return { $ref: refTo(name) };
    }
    return walked;
  };
  document.paths = replace(document.paths, null);
  for (const [key, schema] of Object.entries(generated)) generated[key] = replace(schema, null);
  for (const [name, schema] of Object.entries({ ...named })) {
    const plain = JSON.parse(JSON.stringify(schema)) as Json;
    components[name] = replace(plain, name);
  }
  document.components = { ...existing, schemas: { ...generated, ...components } };
}

const header = (description: string, type: 'string' | 'integer' = 'string') => ({
  description,
  schema: { type },
});

/** The response headers the server sends, on every operation that sends them. */
export function documentHeaders(document: Record<string, Json>): void {
  const paths = document.paths as Record<string, Record<string, { responses?: Record<string, Json> }>>;
  for (const [path, operations] of Object.entries(paths)) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (!response || typeof response !== 'object' || '$ref' in response) continue;
        const headers: Record<string, Json> = {
          ...(((response as { headers?: Record<string, Json> }).headers ?? {}) as Record<string, Json>),
          'X-Request-Id': header('The request id: the one the caller sent in X-Request-Id, or a new one'),
        };
        if (path.startsWith('/api/')) {
          headers['X-RateLimit-Limit'] = header('Requests the key may burst (its bucket size)', 'integer');
          headers['X-RateLimit-Remaining'] = header('Requests left in the bucket now', 'integer');
          headers['X-RateLimit-Reset'] = header('Seconds until the bucket is full again', 'integer');
        }
        if (status === '429' || status === '503')
          headers['Retry-After'] = header('Seconds to wait before trying again', 'integer');
        if (status === '401') headers['WWW-Authenticate'] = header('`Bearer realm="jobgate"`');
        if (
          path === '/api/v1/jobs' &&
          (status === '200' || status === '202') &&
          operations.post?.responses?.[status] === response
        ) {
          headers.Location = header('The job’s URL: /api/v1/jobs/{id}');
          headers['Idempotency-Replayed'] = header(
            '`true` when a repeated Idempotency-Key answered the original job',
          );
        }
        (response as { headers?: Record<string, Json> }).headers = headers;
      }
    }
  }
}
