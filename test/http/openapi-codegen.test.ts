/**
 * The OpenAPI document as a code generator sees it: every operation has a unique
 * operationId and a tag, the shared shapes are named components referenced by `$ref`,
 * and the TypeScript that `openapi-typescript` generates from it agrees with the client
 * SDK's own types (both directions assignable, checked by the TypeScript compiler).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';

type Operation = { operationId?: string; tags?: string[]; responses: Record<string, { headers?: object }> };
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

let server: RunningServer;
let document: Document;
const root = join(import.meta.dirname, '../..');

beforeAll(async () => {
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    db: ':memory:',
    demo: false,
    adminKey: 'codegen',
    graceMs: 100,
  });
  document = (await server.app.inject({ url: '/openapi.json' })).json();
});
afterAll(async () => {
  await server?.close();
});

const operations = () =>
  Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      name: `${method.toUpperCase()} ${path}`,
      operation,
    })),
  );

it('gives every operation a unique operationId and a tag', () => {
  const ids = new Map<string, string>();
  for (const { name, operation } of operations()) {
    expect(operation.operationId, name).toMatch(/^[a-z][A-Za-z0-9]+$/);
    expect(operation.tags?.length, name).toBeGreaterThan(0);
    expect(ids.get(operation.operationId!), `${name} repeats an operationId`).toBeUndefined();
    ids.set(operation.operationId!, name);
  }
  expect(ids.get('submitJob')).toBe('POST /api/v1/jobs');
  expect(ids.get('getJob')).toBe('GET /api/v1/jobs/{id}');
  expect(ids.get('cancelJob')).toBe('POST /api/v1/jobs/{id}/cancel');
});

it('names the shared shapes and references them instead of inlining them', () => {
  const names = Object.keys(document.components.schemas);
  for (const name of [
    'Job',
    'JobPage',
    'Error',
    'Usage',
    'EstimatedWait',
    'QueueStatus',
    'Worker',
    'JobEvent',
  ])
    expect(names, name).toContain(name);
  expect(names.filter((name) => /^def-\d+$/.test(name))).toEqual([]);
  const getJob = JSON.stringify(document.paths['/api/v1/jobs/{id}']?.get?.responses['200']);
  expect(getJob).toContain('"$ref":"#/components/schemas/Job"');
  expect(JSON.stringify(document.components.schemas.JobPage)).toContain('#/components/schemas/Job');
});

it('documents the response headers: request id, rate limit, Retry-After, WWW-Authenticate', () => {
  const submit = document.paths['/api/v1/jobs']?.post;
  expect(Object.keys(submit?.responses['202']?.headers ?? {})).toEqual(
    expect.arrayContaining([
      'X-Request-Id',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ]),
  );
  expect(Object.keys(submit?.responses['429']?.headers ?? {})).toContain('Retry-After');
  expect(Object.keys(submit?.responses['503']?.headers ?? {})).toContain('Retry-After');
  expect(Object.keys(submit?.responses['401']?.headers ?? {})).toContain('WWW-Authenticate');
});

it('generates TypeScript with openapi-typescript that agrees with the SDK’s types', async () => {
  const dir = mkdtempSync(join(root, 'node_modules', '.openapi-check-'));
  const generated = astToString(await openapiTS(document as never));
  writeFileSync(join(dir, 'openapi.d.ts'), generated);
  const sdk = join(root, 'src/client/index.ts').replaceAll('\\', '/');
  writeFileSync(
    join(dir, 'check.ts'),
    `import type { components } from './openapi.js';
import type { JobView, UsageView, QueueStatusView, WorkerView } from '${sdk.replace(/\.ts$/, '.js')}';
type S = components['schemas'];
export const jobToSdk = (value: S['Job']): JobView => value;
export const jobFromSdk = (value: JobView): S['Job'] => value;
export const usageToSdk = (value: S['Usage']): UsageView => value;
export const usageFromSdk = (value: UsageView): S['Usage'] => value;
export const statusToSdk = (value: S['QueueStatus']): QueueStatusView => value;
export const workerToSdk = (value: S['Worker']): WorkerView => value;
export const workerFromSdk = (value: WorkerView): S['Worker'] => value;
`,
  );
  const program = ts.createProgram([join(dir, 'check.ts')], {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    allowImportingTsExtensions: false,
  });
  const problems = ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  rmSync(dir, { recursive: true, force: true });
  expect(problems).toEqual([]);
}, 60_000);

it('documents Location and Idempotency-Replayed on a submit, and gives its body an example', () => {
  const submit = document.paths['/api/v1/jobs']?.post as Operation & {
    requestBody?: { content: Record<string, { schema: unknown }> };
  };
  for (const status of ['200', '202'])
    expect(Object.keys(submit.responses[status]?.headers ?? {})).toEqual(
      expect.arrayContaining(['Location', 'Idempotency-Replayed']),
    );
  expect(JSON.stringify(document.components.schemas.SubmitRequest)).toContain('"examples"');
});
