/**
 * Who may call each route, and what an allowed caller gets: the classification the
 * isolation and auth matrix (auth-matrix.test.ts) checks every registered route
 * against, with every kind of key. A route missing here fails that suite: add its row
 * when you add the route (one row per method and path; HEAD follows GET).
 *
 * - `roles: 'public'`: no key needed; a key of any kind (or a bad one) changes nothing.
 * - `roles: [...]`: these roles pass; any other key answers 403, no/bad/revoked keys 401.
 * - `owned`: the path names tenant A's resource, so tenant B gets 404 (as if it did not
 *   exist), never 403 or the resource; `notFoundCode` is that 404's code when the
 *   resource is not a job.
 * - `params`: the fixture each path parameter takes (defaults: `:id`/`:jobId` → tenant A's
 *   finished job, `:workerId` → a worker the worker key registered, `:queue` → `demo`).
 *   `spare…` fixtures are made fresh for each request, so a DELETE cannot starve the next.
 * - `ok`: the statuses an allowed caller may get with `body` (default: 200).
 */
import type { Role } from '../../src/engine/principal.js';

export type Fixture =
  | 'jobOfA'
  | 'worker'
  | 'spareWorker'
  | 'spareKey'
  | 'queue'
  | 'webhookOfA'
  | 'spareWebhookOfA'
  | 'deliveryOfA'
  | 'spareScheduleOfA'
  | 'artifactName'
  | 'spareFinishedJobOfA';

export interface RouteAccess {
  roles: 'public' | readonly Role[];
  owned?: boolean;
  /** The code tenant B's 404 carries on an owned route (default JOBGATE_ERR_JOB_NOT_FOUND). */
  notFoundCode?: string;
  params?: Record<string, Fixture>;
  body?: unknown;
  query?: string;
  headers?: Record<string, string>;
  ok?: readonly number[];
}

const caller: readonly Role[] = ['admin', 'tenant'];
const workerSide: readonly Role[] = ['worker', 'admin'];
const admin: readonly Role[] = ['admin'];
const wh = 'JOBGATE_ERR_WEBHOOK_NOT_FOUND';

export const routeAccess: Record<string, RouteAccess> = {
  // Served to anyone: the dashboard's files, the API docs, probes and metrics (metrics
  // take their own token when JOBGATE_METRICS_TOKEN is set; none is set here).
  'GET /': { roles: 'public' },
  'GET /docs': { roles: 'public' },
  'GET /docs/': { roles: 'public' },
  'GET /docs/static/index.html': { roles: 'public', ok: [302] },
  'GET /docs/static/swagger-initializer.js': { roles: 'public' },
  'GET /docs/*': { roles: 'public', ok: [404] },
  'GET /docs/json': { roles: 'public' },
  'GET /docs/yaml': { roles: 'public' },
  'GET /openapi.json': { roles: 'public' },
  'GET /metrics': { roles: 'public' },
  'GET /health': { roles: 'public' },
  'GET /ready': { roles: 'public' },
  // Inbound hooks take no key (the sender's signature is the credential); none is configured here.
  'POST /hooks/:name': { roles: 'public', params: { name: 'queue' }, body: {}, ok: [404] },

  // Jobs: a tenant's own; another tenant's answer 404.
  'POST /api/v1/jobs': { roles: caller, body: { queue: 'matrix' }, ok: [202] },
  'GET /api/v1/jobs': { roles: caller },
  'POST /api/v1/jobs/batch': { roles: caller, body: { jobs: [{ queue: 'matrix' }] }, ok: [202] },
  'GET /api/v1/jobs/:id': { roles: caller, owned: true },
  'POST /api/v1/jobs/:id/cancel': { roles: caller, owned: true, ok: [409] },
  'POST /api/v1/jobs/:id/confirm': { roles: caller, owned: true, ok: [409] },
  'POST /api/v1/jobs/:id/retry': { roles: caller, owned: true, ok: [409] },
  'POST /api/v1/jobs/:id/promote': { roles: caller, owned: true, ok: [409] },
  // A finished job of A's made fresh for each request, so the first DELETE cannot starve the rest.
  'DELETE /api/v1/jobs/:id': { roles: caller, owned: true, params: { id: 'spareFinishedJobOfA' }, ok: [204] },
  'POST /api/v1/jobs/bulk': { roles: caller, body: { action: 'retry', filter: { queue: 'matrix-none' } } },
  'GET /api/v1/jobs/:id/events': { roles: caller, owned: true },
  'GET /api/v1/usage': { roles: caller },
  // Artifacts: a job's, so its owner's (tenant A's finished job has none: 404 by name).
  // A download with ?exp=&sig= needs no key (test/artifacts/artifact-routes.test.ts).
  'GET /api/v1/jobs/:id/artifacts': { roles: caller, owned: true },
  'GET /api/v1/jobs/:id/artifacts/:name': {
    roles: caller,
    owned: true,
    params: { name: 'artifactName' },
    ok: [404],
  },
  'GET /api/v1/artifact-counts': { roles: caller, query: 'ids=matrix-none' },
  // Authenticated like any request; a plain GET (no Upgrade) is then refused with 400.
  'GET /api/v1/ws': { roles: caller, ok: [400] },

  // The remote worker protocol.
  'POST /api/v1/workers': { roles: workerSide, body: { queues: ['matrix-w'] }, ok: [201] },
  'GET /api/v1/workers': { roles: admin },
  'DELETE /api/v1/workers/:workerId': { roles: workerSide, params: { workerId: 'spareWorker' }, ok: [204] },
  'POST /api/v1/workers/:workerId/lease': { roles: workerSide, body: { max: 1, waitMs: 0 } },
  'POST /api/v1/workers/:workerId/heartbeat': { roles: workerSide, body: { leases: [] } },
  'POST /api/v1/workers/:workerId/jobs/:jobId/progress': {
    roles: workerSide,
    body: { token: 'not-the-lease-token', percent: 50 },
    ok: [409],
  },
  'POST /api/v1/workers/:workerId/jobs/:jobId/complete': {
    roles: workerSide,
    body: { token: 'not-the-lease-token', result: null },
    ok: [409],
  },
  'POST /api/v1/workers/:workerId/jobs/:jobId/fail': {
    roles: workerSide,
    body: { token: 'not-the-lease-token', message: 'x' },
    ok: [409],
  },
  'PUT /api/v1/workers/:workerId/jobs/:jobId/artifacts/:name': {
    roles: workerSide,
    params: { name: 'artifactName' },
    headers: { 'x-lease-token': 'not-the-lease-token', 'content-type': 'text/plain' },
    body: 'bytes',
    ok: [409],
  },
  'POST /api/v1/workers/:workerId/jobs/:jobId/release': {
    roles: workerSide,
    body: { token: 'not-the-lease-token' },
    ok: [409],
  },

  // Queues: shared names; figures a tenant sees are its own or aggregate.
  'GET /api/v1/queues': { roles: caller },
  // `demo` has no pool: its settings answer 422.
  'PATCH /api/v1/queues/:queue': { roles: admin, body: { min: 0 }, ok: [422] },
  'GET /api/v1/queues/:queue/status': { roles: caller },
  'GET /api/v1/queues/:queue/stats': { roles: caller },
  'GET /api/v1/queues/:queue/active': { roles: caller },
  'POST /api/v1/queues/:queue/pause': { roles: admin },
  'GET /api/v1/queues/:queue/pool': { roles: admin, ok: [422] },
  'GET /api/v1/pools': { roles: admin },
  'POST /api/v1/queues/:queue/resume': { roles: admin },
  'POST /api/v1/queues/:queue/clear': { roles: admin },
  'POST /api/v1/queues/:queue/warmup': { roles: caller },
  'GET /api/v1/queues/:queue/history': { roles: caller },

  // Keys and tenants: admins only.
  'POST /api/v1/keys': {
    roles: admin,
    body: { owner: 'matrix-new', role: 'tenant', tier: 'free' },
    ok: [201],
  },
  'GET /api/v1/keys': { roles: admin },
  'DELETE /api/v1/keys/:id': { roles: admin, params: { id: 'spareKey' }, ok: [204] },
  'GET /api/v1/tenants': { roles: admin },

  // Schedules: a tenant's own; another tenant's answer 404. Names are global, so a second
  // create of the same name answers 409 (naming no owner).
  'POST /api/v1/schedules': {
    roles: caller,
    body: { name: 'matrix-schedule', cron: '0 3 * * *', queue: 'matrix' },
    ok: [201, 409],
  },
  'GET /api/v1/schedules': { roles: caller },
  ...Object.fromEntries(
    (
      [
        ['GET /api/v1/schedules/:name', undefined, [200]],
        ['PATCH /api/v1/schedules/:name', { priority: 3 }, [200]],
        ['DELETE /api/v1/schedules/:name', undefined, [204]],
        ['POST /api/v1/schedules/:name/pause', undefined, [200]],
        ['POST /api/v1/schedules/:name/resume', undefined, [200]],
        ['POST /api/v1/schedules/:name/run', undefined, [202]],
      ] as const
    ).map(([route, body, ok]) => [
      route,
      {
        roles: caller,
        owned: true,
        notFoundCode: 'JOBGATE_ERR_SCHEDULE_NOT_FOUND',
        params: { name: 'spareScheduleOfA' as const },
        body,
        ok,
      },
    ]),
  ),

  // Webhook subscriptions: a tenant's own; another tenant's answer 404.
  'POST /api/v1/webhooks': { roles: caller, body: { url: 'https://example.com/matrix' }, ok: [201] },
  'GET /api/v1/webhooks': { roles: caller },
  'GET /api/v1/webhooks/:id': { roles: caller, owned: true, notFoundCode: wh, params: { id: 'webhookOfA' } },
  'PATCH /api/v1/webhooks/:id': {
    roles: caller,
    owned: true,
    notFoundCode: wh,
    params: { id: 'webhookOfA' },
    body: { description: 'matrix' },
  },
  'DELETE /api/v1/webhooks/:id': {
    roles: caller,
    owned: true,
    notFoundCode: wh,
    params: { id: 'spareWebhookOfA' },
    ok: [204],
  },
  'GET /api/v1/webhooks/:id/deliveries': {
    roles: caller,
    owned: true,
    notFoundCode: wh,
    params: { id: 'webhookOfA' },
  },
  'POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliver': {
    roles: caller,
    owned: true,
    notFoundCode: wh,
    params: { id: 'webhookOfA', deliveryId: 'deliveryOfA' },
    ok: [202],
  },
};

/** The classification of a registered route (HEAD takes GET's row). */
/**
 * The built dashboard's files are routes too, one per file present at start, with
 * content-hashed names that change on every build (and exist only once it is built):
 * served to anyone.
 */
const dashboardFile = /^\/(?:index\.html|assets\/[^/:*]+)$/;

export function accessOf(method: string, url: string): RouteAccess | undefined {
  const read = method === 'HEAD' ? 'GET' : method;
  if (read === 'GET' && dashboardFile.test(url)) return { roles: 'public' };
  return routeAccess[`${read} ${url}`];
}
