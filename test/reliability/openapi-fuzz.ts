/**
 * Fuzzes every operation of the server's own /openapi.json (so a new route is fuzzed the
 * moment it is documented) with fast-check: path, query, header and body values derived
 * from each schema and then bent (./openapi-arbitraries.ts), wrong content types,
 * duplicated query parameters, real and forged ids and cursors, under admin, tenant and
 * worker keys. Every answer must be below 500 and, when an error, our error body; the
 * server must answer /health afterwards; Object.prototype must be untouched.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { type FullServer, fullServerAdminKey } from './full-server.js';
import {
  anyJson,
  nastyString,
  type Resolve,
  type Schema,
  stringFor,
  urlPiece,
  valueFor,
} from './openapi-arbitraries.js';

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  schema: Schema;
}

interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body: Schema | null;
  /** Answers with a stream (SSE) that may stay open: a slow answer is not a hang. */
  streams: boolean;
}

interface Sample {
  operation: Operation;
  url: string;
  headers: Record<string, string>;
  payload: string | undefined;
}

export interface FuzzFigures {
  requests: number;
  byStatus: Record<number, number>;
  operations: number;
  streamsLeftOpen: number;
  /** The longest answer per operation (ms). */
  slowestMs: Record<string, number>;
}

type Doc = {
  paths: Record<
    string,
    Record<string, { parameters?: Parameter[]; requestBody?: unknown; responses?: unknown }>
  >;
  components?: { schemas?: Record<string, Schema> };
};

export function operationsOf(doc: Doc): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const body = (op.requestBody as { content?: Record<string, { schema?: Schema }> } | undefined)
        ?.content?.['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: body ?? null,
        streams: JSON.stringify(op.responses ?? {}).includes('text/event-stream'),
      });
    }
  }
  return operations;
}

export interface FuzzContext {
  full: FullServer;
  /** Real values for parameters of these names (job ids, worker ids, cursors…). */
  known: Record<string, string[]>;
  keys: string[];
}

const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom(...otherContentTypes()) },
);

function otherContentTypes() {
  return [
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/json; charset=latin1',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/xml',
    'application/vnd.api+json',
    '',
    'no-content-type',
  ];
}

function sampleFor(operation: Operation, context: FuzzContext, resolve: Resolve): fc.Arbitrary<Sample> {
  const known = (name: string) => context.known[name] ?? [];
  const paramValue = (parameter: Parameter): fc.Arbitrary<string> => {
    const real = known(parameter.name);
    const forged = real.length
      ? fc
          .constantFrom(...real)
          .chain((value) =>
            fc.constantFrom(
              value.slice(0, -1),
              `${value}x`,
              value.toUpperCase(),
              `${value}%00`,
              value.repeat(3),
            ),
          )
      : stringFor(parameter.schema);
    return fc.oneof(
      { weight: real.length ? 4 : 0, arbitrary: real.length ? fc.constantFrom(...real) : fc.constant('') },
      { weight: 3, arbitrary: stringFor(parameter.schema) },
      { weight: 2, arbitrary: forged },
      { weight: 1, arbitrary: nastyString },
    );
  };
  const path = operation.parameters.filter((p) => p.in === 'path');
  const query = operation.parameters.filter((p) => p.in === 'query');
  const headers = operation.parameters.filter((p) => p.in === 'header');
  const queryPart = fc.array(
    fc.oneof(
      ...query.map((p) =>
        fc
          .tuple(paramValue(p), fc.integer({ min: 1, max: 3 }))
          // Duplicated parameters arrive as an array.
          .map(([value, times]) =>
            Array(times)
              .fill(`${p.name}=${urlPiece(value)}`)
              .join('&'),
          ),
      ),
      fc.tuple(nastyString, nastyString).map(([k, v]) => `${urlPiece(k)}=${urlPiece(v)}`),
      fc.constantFrom('%', '%zz=1', '=', '&&', 'a[b]=1', '__proto__[x]=1', 'constructor=1'),
    ),
    { maxLength: 4 },
  );
  const body: fc.Arbitrary<string | undefined> = operation.body
    ? fc.oneof(
        {
          weight: 8,
          arbitrary: valueFor(operation.body, resolve, context.known).map((v) => JSON.stringify(v) ?? 'null'),
        },
        { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v) ?? 'null') },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            '',
            '{',
            '{"a":1}{"b":2}',
            'null',
            '[]',
            '\u0000',
            '{"queue":"demo",}',
            '{"__proto__":{"polluted":"yes"}}',
            `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
          ),
        },
        { weight: 1, arbitrary: fc.constant(undefined) },
      )
    : fc.oneof(
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
      );
  return fc
    .record({
      pathValues: fc.tuple(...path.map(paramValue)),
      queryItems: queryPart,
      headerValues: fc.tuple(...headers.map((p) => fc.option(paramValue(p), { freq: 2 }))),
      payload: body,
      contentType,
      key: fc.constantFrom(...context.keys),
    })
    .map(({ pathValues, queryItems, headerValues, payload, contentType, key }) => {
      let url = operation.path;
      path.forEach((p, i) => {
        url = url.replace(`{${p.name}}`, urlPiece(pathValues[i]!) || '%20');
      });
      if (queryItems.length) url += `?${queryItems.join('&')}`;
      const sent: Record<string, string> = { authorization: `Bearer ${key}` };
      if (payload !== undefined && contentType !== 'no-content-type') sent['content-type'] = contentType;
      headers.forEach((p, i) => {
        const value = headerValues[i];
        // Header values must be Latin-1 without controls; others cannot even be sent.
        if (value != null && /^[\t\x20-\x7e\x80-\xff]*$/.test(value)) sent[p.name] = value;
      });
      return { operation, url, headers: sent, payload };
    });
}

const prototypeNames = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

/**
 * Sends `requests` fuzzed requests (in rounds of `parallel`), checking each answer. A
 * failure shrinks to the smallest round fast-check finds and shows its requests.
 */
export async function fuzzOpenApi(
  context: FuzzContext,
  options: { requests: number; parallel: number; seed?: number },
): Promise<FuzzFigures> {
  const { full } = context;
  const doc = (await full.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Doc;
  const resolve: Resolve = (ref) => {
    const name = ref.split('/').at(-1)!;
    const schema = doc.components?.schemas?.[name];
    if (!schema) throw new Error(`unresolved $ref ${ref}`);
    return schema;
  };
  const operations = operationsOf(doc);
  const sample = fc.oneof(...operations.map((op) => sampleFor(op, context, resolve)));
  const figures: FuzzFigures = {
    requests: 0,
    byStatus: {},
    operations: operations.length,
    streamsLeftOpen: 0,
    slowestMs: {},
  };
  const before = prototypeNames();
  const tried = new Set<string>();

  const send = async (request: Sample): Promise<string | null> => {
    tried.add(`${request.operation.method} ${request.operation.path}`);
    const answer = full.app.inject({
      method: request.operation.method as 'GET',
      url: request.url,
      headers: request.headers,
      ...(request.payload === undefined ? {} : { payload: request.payload }),
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), request.operation.streams ? 500 : 10_000);
    });
    const started = performance.now();
    const response = await Promise.race([answer, late]);
    clearTimeout(timer);
    const name = `${request.operation.method} ${request.operation.path}`;
    figures.slowestMs[name] = Math.max(figures.slowestMs[name] ?? 0, Math.round(performance.now() - started));
    figures.requests++;
    if (response === 'late') {
      if (request.operation.streams) {
        figures.streamsLeftOpen++;
        return null;
      }
      return 'no answer within 10 s';
    }
    figures.byStatus[response.statusCode] = (figures.byStatus[response.statusCode] ?? 0) + 1;
    if (response.statusCode >= 500) return `${response.statusCode} ${response.body.slice(0, 500)}`;
    if (response.statusCode >= 400) {
      let code: unknown;
      try {
        code = (JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } }).error?.code;
      } catch {}
      if (typeof code !== 'string' || !code.startsWith('JOBGATE_ERR_'))
        return `${response.statusCode} without our error body: ${response.body.slice(0, 300)}`;
    }
    if (prototypeNames() !== before) return `Object.prototype changed: ${prototypeNames()}`;
    return null;
  };

  const rounds = Math.ceil(options.requests / options.parallel);
  // The report names the failing requests of the smallest failing round, not all 16 samples.
  let lastFound: unknown[] = [];
  await fc.assert(
    fc.asyncProperty(
      fc.array(sample, { minLength: options.parallel, maxLength: options.parallel }),
      async (batch) => {
        const problems = await Promise.all(batch.map(send));
        const found = problems
          .map((problem, i) => (problem ? { problem, request: describe(batch[i]!) } : null))
          .filter(Boolean);
        if (found.length) lastFound = found;
        return found.length === 0;
      },
    ),
    {
      numRuns: rounds,
      seed: options.seed,
      reporter: (details) => {
        if (details.failed)
          throw new Error(
            `fuzz failed (seed ${details.seed}, path ${details.counterexamplePath}): ${String(details.errorInstance ?? '')}\n${JSON.stringify(lastFound, null, 2)}`,
          );
      },
    },
  );

  expect(prototypeNames()).toBe(before);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect([...tried].sort()).toEqual(operations.map((op) => `${op.method} ${op.path}`).sort());
  const health = await full.app.inject({ method: 'GET', url: '/health' });
  expect(health.statusCode).toBe(200);
  // And over its real socket, with a key nobody fuzzed away.
  const overSocket = await fetch(`${full.server.url}/api/v1/usage`, {
    headers: { authorization: `Bearer ${fullServerAdminKey}` },
  });
  expect(overSocket.status).toBe(200);
  return figures;
}

function describe(request: Sample) {
  return {
    method: request.operation.method,
    url: request.url.slice(0, 400),
    headers: request.headers,
    payload: request.payload?.slice(0, 400),
  };
}
