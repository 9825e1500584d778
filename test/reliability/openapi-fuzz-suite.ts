/**
 * The OpenAPI fuzz suite for one store: a whole server with a few real jobs (queued,
 * running, completed), a registered worker and a real cursor for the fuzzer to aim at.
 * JOBGATE_FUZZ_REQUESTS (default 10,000) and JOBGATE_FUZZ_SEED change the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import {
  type FullServer,
  fullServerAdminKey,
  openStore,
  type StoreKind,
  startFullServer,
} from './full-server.js';
import { fuzzOpenApi } from './openapi-fuzz.js';

const requests = Number(process.env.JOBGATE_FUZZ_REQUESTS ?? 10_000);
const seed = process.env.JOBGATE_FUZZ_SEED ? Number(process.env.JOBGATE_FUZZ_SEED) : undefined;

export function openApiFuzzSuite(kind: StoreKind): void {
  let redis: TestRedis | undefined;
  let full: FullServer;
  const known: Record<string, string[]> = {};
  // The admin key may call every route; tenant and worker keys reach their own (each half as often).
  const keys: string[] = [fullServerAdminKey, fullServerAdminKey];

  beforeAll(async () => {
    if (kind === 'redis') redis = await startRedis();
    full = await startFullServer(await openStore(kind, redis?.url), {
      workerPlane: { registry: { maxWaitMs: 0 } },
    });
    const tenant = await full.createKey('tenant', 'fuzz-tenant', 'pro');
    const worker = await full.createKey('worker', 'fuzz-workers');
    keys.push(tenant.key, worker.key);
    const submit = async (queue: string, payload: unknown = {}) => {
      const answer = await full.call(tenant.key, {
        method: 'POST',
        url: '/api/v1/jobs',
        payload: { queue, payload },
      });
      expect(answer.statusCode).toBe(202);
      return answer.json().id as string;
    };
    const done = await submit('demo', { ms: 1 });
    const queued = await submit('fz');
    const leased = await submit('fz-w');
    const registered = await full.call(worker.key, {
      method: 'POST',
      url: '/api/v1/workers',
      payload: { queues: ['fz-w'] },
    });
    const workerId = registered.json().worker.id as string;
    const lease = await full.call(worker.key, {
      method: 'POST',
      url: `/api/v1/workers/${workerId}/lease`,
      payload: { max: 1, waitMs: 0 },
    });
    const [leasedJob] = lease.json().jobs as Array<{ leaseToken: string }>;
    expect(leasedJob).toBeDefined();
    await waitFor(
      async () =>
        (await full.call(tenant.key, { method: 'GET', url: `/api/v1/jobs/${done}` })).json().status ===
        'completed',
      { timeoutMs: 10_000, message: 'the demo job completed' },
    );
    const page = await full.call(tenant.key, { method: 'GET', url: '/api/v1/jobs?limit=1' });
    known.id = [done, queued, leased];
    known.jobId = [leased, done];
    known.workerId = [workerId];
    known.queue = ['demo', 'fz', 'fz-w'];
    known.cursor = [page.json().nextCursor as string];
    known.key = [tenant.key];
    known.parentId = [done, queued];
    known.token = [leasedJob!.leaseToken];
    known['last-event-id'] = ['1', '0'];
  }, 60_000);

  afterAll(async () => {
    await full?.close();
    await redis?.stop();
  });

  describe(`OpenAPI fuzz: ${kind}`, () => {
    it(`answers ${requests} fuzzed requests with no 5xx, the server alive and Object.prototype untouched`, {
      timeout: 300_000,
    }, async () => {
      const figures = await fuzzOpenApi({ full, known, keys }, { requests, parallel: 16, seed });
      process.stdout.write(
        `openapi fuzz (${kind}): ${figures.requests} requests over ${figures.operations} operations, ` +
          `statuses ${JSON.stringify(figures.byStatus)}, ${figures.streamsLeftOpen} streams left open; slowest: ` +
          `${JSON.stringify(
            Object.entries(figures.slowestMs)
              .sort((a, b) => b[1] - a[1])
              .slice(0, 3),
          )}\n`,
      );
      expect(figures.requests).toBeGreaterThanOrEqual(requests);
      expect(Object.keys(figures.byStatus).filter((status) => Number(status) >= 500)).toEqual([]);
    });
  });
}
