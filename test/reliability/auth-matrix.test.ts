/**
 * The isolation and auth matrix: every route Fastify registered × every kind of key
 * (none, bad, revoked, tenant A, tenant B, worker, admin), on SQLite and on Redis,
 * against the classification in route-access.ts. A route with no row there fails here.
 * Beyond the status, no answer to tenant B carries tenant A's job id, owner or payload
 * (unless the request itself named it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { type FullServer, openStore, type StoreKind, startFullServer } from './full-server.js';
import { accessOf, type Fixture } from './route-access.js';
import { registeredRoutes } from './route-table.js';

const kinds = ['none', 'bad', 'revoked', 'tenantA', 'tenantB', 'worker', 'admin'] as const;
type Kind = (typeof kinds)[number];
const ownerA = 'acme-matrix-a';
const ownerB = 'globex-matrix-b';
const markerOfA = 'payload-marker-of-tenant-a';

let redis: TestRedis | undefined;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe.each(['sqlite', 'redis'] as StoreKind[])('auth and isolation matrix: %s', (storeKind) => {
  let full: FullServer;
  const keyOf = {} as Record<Kind, string | undefined>;
  let jobOfA = '';
  let workerId = '';
  let spareSchedules = 0;
  let webhookOfA = '';
  let deliveryOfA = '';

  beforeAll(async () => {
    full = await startFullServer(await openStore(storeKind, redis?.url));
    const a = await full.createKey('tenant', ownerA);
    const b = await full.createKey('tenant', ownerB);
    const worker = await full.createKey('worker', 'matrix-workers');
    const adminKey = await full.createKey('admin', 'matrix-ops');
    const revoked = await full.createKey('tenant', 'matrix-revoked');
    const revokedAnswer = await full.call(adminKey.key, {
      method: 'DELETE',
      url: `/api/v1/keys/${revoked.id}`,
    });
    expect(revokedAnswer.statusCode).toBe(204);
    Object.assign(keyOf, {
      none: undefined,
      bad: 'jg_0123456789ab_not-a-real-secret-not-a-real-secret-xx',
      revoked: revoked.key,
      tenantA: a.key,
      tenantB: b.key,
      worker: worker.key,
      admin: adminKey.key,
    });
    // Subscribed before A's job, so the job's completion records a delivery of it.
    const subscribed = await full.call(a.key, {
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: { url: 'https://example.com/matrix-a' },
    });
    expect(subscribed.statusCode).toBe(201);
    webhookOfA = subscribed.json().subscription.id;
    const submitted = await full.call(a.key, {
      method: 'POST',
      url: '/api/v1/jobs',
      payload: { queue: 'demo', payload: { ms: 1, marker: markerOfA } },
    });
    expect(submitted.statusCode).toBe(202);
    jobOfA = submitted.json().id;
    await waitFor(
      async () =>
        (await full.call(a.key, { method: 'GET', url: `/api/v1/jobs/${jobOfA}` })).json().status ===
        'completed',
      { timeoutMs: 10_000, message: "tenant A's job completed" },
    );
    workerId = await registerWorker();
    deliveryOfA = await waitFor(
      async () =>
        (await full.call(a.key, { method: 'GET', url: `/api/v1/webhooks/${webhookOfA}/deliveries` })).json()
          .items[0]?.id as string | undefined,
      { timeoutMs: 10_000, message: "a delivery of tenant A's webhook" },
    );
  }, 60_000);

  afterAll(async () => {
    await full?.close();
  });

  async function registerWorker(): Promise<string> {
    const answer = await full.call(keyOf.worker, {
      method: 'POST',
      url: '/api/v1/workers',
      payload: { queues: ['matrix-w'] },
    });
    expect(answer.statusCode).toBe(201);
    return answer.json().worker.id;
  }

  async function fixture(name: Fixture): Promise<string> {
    switch (name) {
      case 'jobOfA':
        return jobOfA;
      case 'worker':
        return workerId;
      case 'spareWorker':
        return registerWorker();
      case 'spareKey':
        return (await full.createKey('tenant', 'matrix-spare')).id;
      case 'queue':
        return 'demo';
      case 'artifactName':
        return 'report.json';
      case 'spareFinishedJobOfA': {
        const answer = await full.call(keyOf.tenantA, {
          method: 'POST',
          url: '/api/v1/jobs',
          payload: { queue: 'matrix-spare', delayMs: 3_600_000 },
        });
        const id = answer.json().id as string;
        await full.call(keyOf.tenantA, { method: 'POST', url: `/api/v1/jobs/${id}/cancel` });
        return id;
      }
      case 'spareScheduleOfA': {
        const name = `matrix-a-${++spareSchedules}`;
        const answer = await full.call(keyOf.tenantA, {
          method: 'POST',
          url: '/api/v1/schedules',
          payload: { name, cron: '0 3 * * *', queue: 'matrix' },
        });
        expect(answer.statusCode).toBe(201);
        return name;
      }
      case 'webhookOfA':
        return webhookOfA;
      case 'deliveryOfA':
        return deliveryOfA;
      case 'spareWebhookOfA': {
        const answer = await full.call(keyOf.tenantA, {
          method: 'POST',
          url: '/api/v1/webhooks',
          payload: { url: 'https://example.com/matrix-spare' },
        });
        return answer.json().subscription.id;
      }
    }
  }

  const defaultFixtures: Record<string, Fixture> = {
    id: 'jobOfA',
    jobId: 'jobOfA',
    workerId: 'worker',
    queue: 'queue',
  };
  const defaultFixture = (param: string): Fixture | undefined => defaultFixtures[param];

  it('classifies every registered route', () => {
    const missing = registeredRoutes(full.app)
      .filter((route) => !accessOf(route.method, route.url))
      .map((route) => `${route.method} ${route.url}`);
    expect(missing, 'add a row for each to test/reliability/route-access.ts').toEqual([]);
  });

  it('answers every route × key kind as classified', { timeout: 120_000 }, async () => {
    const failures: string[] = [];
    let requests = 0;
    for (const route of registeredRoutes(full.app)) {
      const access = accessOf(route.method, route.url);
      if (!access) continue;
      for (const kind of kinds) {
        let url = route.url.replace('/*', '/no-such-file');
        for (const [, param] of url.matchAll(/:([A-Za-z]+)/g)) {
          const name = access.params?.[param!] ?? defaultFixture(param!);
          if (!name)
            throw new Error(`${route.method} ${route.url}: no fixture for :${param} (route-access.ts)`);
          url = url.replace(`:${param}`, encodeURIComponent(await fixture(name)));
        }
        if (access.query) url += `?${access.query}`;
        const answer = await full.call(keyOf[kind], {
          method: route.method as 'GET',
          url,
          ...(access.body === undefined ? {} : { payload: access.body as object }),
          headers: access.headers,
        });
        requests++;
        const status = answer.statusCode;
        const code = status >= 400 && answer.body ? safeCode(answer.body) : undefined;
        const label = `${route.method} ${url} as ${kind}: ${status} ${code ?? ''}`;
        const expected = expectation(access, kind);
        if (
          !expected.statuses.includes(status) ||
          (expected.code && route.method !== 'HEAD' && expected.code !== code)
        )
          failures.push(`${label} — expected ${expected.statuses.join('|')} ${expected.code ?? ''}`);
        if (kind === 'tenantB' && route.method !== 'HEAD') {
          for (const secret of [jobOfA, ownerA, markerOfA])
            if (!url.includes(secret) && answer.body.includes(secret))
              failures.push(`${label} — leaks ${secret}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(300);
  });
});

function expectation(
  access: NonNullable<ReturnType<typeof accessOf>>,
  kind: Kind,
): { statuses: readonly number[]; code?: string } {
  const ok = access.ok ?? [200];
  if (access.roles === 'public') return { statuses: ok };
  if (kind === 'none' || kind === 'bad' || kind === 'revoked')
    return { statuses: [401], code: 'JOBGATE_ERR_UNAUTHORIZED' };
  const role = kind === 'tenantA' || kind === 'tenantB' ? 'tenant' : kind;
  if (!access.roles.includes(role)) return { statuses: [403], code: 'JOBGATE_ERR_FORBIDDEN' };
  if (access.owned && kind === 'tenantB')
    return { statuses: [404], code: access.notFoundCode ?? 'JOBGATE_ERR_JOB_NOT_FOUND' };
  return { statuses: ok };
}

function safeCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}
