/**
 * buildApp(options) returns the Fastify app and never listens: the CLI listens, tests
 * inject. Registration follows Fastify's order: ecosystem (OpenAPI, WebSocket) → ours
 * (errors, auth, rate limit, metrics) → decorators → hooks → routes/<resource>.ts.
 */
import { createRequire } from 'node:module';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { JobgateError } from '../domain/errors.js';
import type { ApiKeys } from '../engine/api-keys.js';
import type { ArtifactService } from '../engine/artifact-service.js';
import type { Engine } from '../engine/engine.js';
import type { InboundHooks } from '../engine/hooks/inbound-hooks.js';
import { JobEventLog, type JobEventLogOptions } from '../engine/job-event-log.js';
import { type Principal, type Role, systemPrincipal } from '../engine/principal.js';
import { ScheduleAdmin } from '../engine/schedules/schedule-admin.js';
import type { WebhookService } from '../engine/webhooks/webhook-service.js';
import type { WorkerRegistry } from '../engine/worker-registry.js';
import type { PoolManager } from '../pool/pool-manager.js';
import { type ConnectionLimits, connectionOptions, resolveConnectionLimits } from './connection-limits.js';
import { registerDashboard } from './dashboard-static.js';
import { registerErrorHandling, sendError, toJobgateError } from './error-handler.js';
import { type CorsSettings, registerHttpConventions, requestId } from './http-conventions.js';
import { registerMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { type RateSettings, registerRateLimit } from './rate-limit.js';
import { artifactRoutes } from './routes/artifacts.js';
import { healthRoutes } from './routes/health.js';
import { hookRoutes } from './routes/hooks.js';
import { jobEventRoutes } from './routes/job-events.js';
import { jobRoutes } from './routes/jobs.js';
import { jobBulkRoutes } from './routes/jobs-bulk.js';
import { keyRoutes } from './routes/keys.js';
import { queueHistoryRoutes } from './routes/queue-history.js';
import { queuePoolRoutes } from './routes/queue-pools.js';
import { queueSettingsRoutes } from './routes/queue-settings.js';
import { queueRoutes } from './routes/queues.js';
import { scheduleRoutes } from './routes/schedules.js';
import { webhookRoutes } from './routes/webhooks.js';
import { workerRoutes } from './routes/workers.js';
import { wsRoutes } from './routes/ws.js';
import { registerSecurityHeaders } from './security-headers.js';
import type { SignedLinks } from './signed-links.js';
import { keepAliveMsDefault } from './sse-stream.js';
import { registerTenants } from './tenants.js';
import { assertWellFormed } from './well-formed-json.js';
import { wsMessageMaxBytes } from './ws-session.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
export const version = pkg.version;

export interface AppOptions {
  engine: Engine;
  /** Resolves the caller of an /api/v1 request; single-tenant (admin) when absent. */
  authenticate?: (request: FastifyRequest) => Promise<Principal>;
  logger?: boolean | { level: string };
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit?: number;
  /** When given, every /api/v1 request needs a key, and the key routes are served. */
  keys?: ApiKeys;
  /** A principal's rate limit; null = not limited. No limiting when absent. */
  rateFor?: (principal: Principal) => RateSettings | null;
  /** Job event streams (SSE, WebSocket): keep-alive interval (default 15 s) and the resume log's bounds. */
  streams?: { keepAliveMs?: number; log?: JobEventLogOptions };
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (JOBGATE_METRICS_TOKEN). */
  metricsToken?: string;
  /** When given, the remote worker protocol is served (/api/v1/workers…). */
  workerRegistry?: WorkerRegistry;
  /** Browser origins allowed to call the API (CORS); none when absent. */
  cors?: CorsSettings;
  /** When given, warmup and live pool settings are served (/api/v1/queues/:queue/warmup…). */
  pools?: PoolManager;
  /** Client timeouts and the connection cap (see connection-limits.ts); defaults when absent. */
  connections?: Partial<ConnectionLimits>;
  /** When given, webhook subscriptions and per-job callbackUrl are served (/api/v1/webhooks…). */
  webhooks?: WebhookService;
  /** When given, artifact uploads, listings and downloads are served (docs/ARTIFACTS.md). */
  artifacts?: { service: ArtifactService; links: SignedLinks; presignedRedirect?: boolean };
  /** When given, the config file's inbound hooks are served (POST /hooks/:name). */
  hooks?: InboundHooks;
}

/** Roles allowed on a route unless its `config.roles` says otherwise. */
const defaultRoles: readonly Role[] = ['admin', 'tenant'];

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route (default admin and tenant). */
    roles?: readonly string[];
    /** The route also takes the API key as `?key=` (streams: browsers cannot set their headers). */
    queryKey?: boolean;
    /** A request with `?exp=&sig=` needs no key: the route checks the signed link itself. */
    signedLink?: boolean;
  }
}

export const bodyLimitDefault = 1024 * 1024;

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? bodyLimitDefault;
  const connections = resolveConnectionLimits(options.connections);
  const app = Fastify({
    logger: loggerOptions(options.logger),
    bodyLimit,
    ...connectionOptions(connections),
    genReqId: requestId,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true } },
    // Router errors (a bad percent-encoding, an over-long path parameter) get our error body too.
    frameworkErrors: (error, _request, reply) => {
      sendError(reply, toJobgateError(error));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.server.maxConnections = connections.maxConnections;

  await registerSecurityHeaders(app);
  const conventions = await registerHttpConventions(app, { cors: options.cors });
  await registerOpenApi(app, { version });
  await app.register(websocket, { options: { maxPayload: wsMessageMaxBytes } });

  registerErrorHandling(app, (path) => conventions.allowedMethods(path));

  // JSON only: an empty body on a body-less POST (cancel, retry) is fine, anything else must parse.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const failure = error as Error & { statusCode?: number; code?: string };
      failure.statusCode = 400;
      failure.code = 'FST_ERR_CTP_INVALID_JSON_BODY';
      return done(failure, undefined);
    }
    try {
      assertWellFormed(text, value);
    } catch (error) {
      return done(error as Error, undefined);
    }
    done(null, value);
  });

  const keys = options.keys;
  const authenticate =
    options.authenticate ??
    (keys
      ? (request: FastifyRequest) => keys.authenticate(presentedKey(request))
      : async () => systemPrincipal);
  app.decorateRequest('principal', undefined as unknown as Principal);
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    if (request.routeOptions.config.signedLink && isSignedLink(request)) return;
    try {
      request.principal = await authenticate(request);
    } catch (error) {
      // A caller without a valid key gets its answer and loses the connection: it cannot
      // hold a socket open (a slow body, keep-alive) on a server it may not use.
      if ((error as JobgateError).code === 'JOBGATE_ERR_UNAUTHORIZED') closeAfterReply(reply);
      throw error;
    }
    const roles = request.routeOptions.config.roles ?? defaultRoles;
    if (!roles.includes(request.principal.role)) {
      throw new JobgateError(
        'JOBGATE_ERR_FORBIDDEN',
        `A ${request.principal.role} key may not do this (needs ${roles.join(' or ')})`,
      );
    }
  });
  if (options.rateFor) await registerRateLimit(app, options.engine, options.rateFor);
  await registerMetrics(app, {
    engine: options.engine,
    token: options.metricsToken,
    webhooks: options.webhooks,
    pools: options.pools,
  });

  const log = new JobEventLog(options.engine.events, options.streams?.log);
  app.addHook('onClose', async () => log.close());
  const streams = {
    engine: options.engine,
    log,
    keepAliveMs: options.streams?.keepAliveMs ?? keepAliveMsDefault,
  };

  await app.register(healthRoutes, { engine: options.engine, version });
  const webhooks = options.webhooks;
  await app.register(jobRoutes, {
    engine: options.engine,
    prefix: '/api/v1',
    callbacks: webhooks && {
      check: (url: string) => webhooks.checkCallbackUrl(url),
      register: (jobId: string, url: string) => webhooks.registerCallback(jobId, url),
    },
  });
  if (webhooks) await app.register(webhookRoutes, { webhooks, prefix: '/api/v1' });
  if (options.hooks) await app.register(hookRoutes, { hooks: options.hooks, bodyLimit });
  await app.register(jobBulkRoutes, { engine: options.engine, prefix: '/api/v1' });
  await app.register(jobEventRoutes, { ...streams, prefix: '/api/v1' });
  await app.register(wsRoutes, { ...streams, prefix: '/api/v1' });
  await app.register(queueRoutes, { engine: options.engine, prefix: '/api/v1' });
  if (keys) await app.register(keyRoutes, { keys, prefix: '/api/v1' });
  if (options.workerRegistry)
    await app.register(workerRoutes, { registry: options.workerRegistry, prefix: '/api/v1' });
  if (options.pools) await app.register(queuePoolRoutes, { pools: options.pools, prefix: '/api/v1' });
  await app.register(queueSettingsRoutes, {
    engine: options.engine,
    pools: options.pools,
    prefix: '/api/v1',
  });
  await app.register(queueHistoryRoutes, { engine: options.engine, prefix: '/api/v1' });
  const schedules = new ScheduleAdmin(options.engine, keys?.tierNames());
  await app.register(scheduleRoutes, { schedules, prefix: '/api/v1' });
  if (options.artifacts)
    await app.register(artifactRoutes, {
      artifacts: options.artifacts.service,
      links: options.artifacts.links,
      presignedRedirect: options.artifacts.presignedRedirect,
      prefix: '/api/v1',
    });
  if (keys) await registerTenants(app, { engine: options.engine, keys });
  await registerDashboard(app);
  return app;
}

function closeAfterReply(reply: FastifyReply): void {
  reply.header('connection', 'close');
  reply.raw.once('finish', () => reply.raw.socket?.destroySoon());
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

function isSignedLink(request: FastifyRequest): boolean {
  const query = request.query as { exp?: unknown; sig?: unknown } | undefined;
  return typeof query?.exp === 'string' && typeof query.sig === 'string';
}

/** The key from `Authorization`, or from `?key=` on routes that allow it. */
function presentedKey(request: FastifyRequest): string | undefined {
  const fromHeader = bearerToken(request.headers.authorization);
  if (fromHeader || !request.routeOptions.config.queryKey) return fromHeader;
  const key = (request.query as { key?: unknown } | undefined)?.key;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/** A `?key=` must not reach the logs: request URLs are logged without its value. */
function loggerOptions(logger: AppOptions['logger']) {
  if (!logger) return false;
  const redact = (url: string) => url.replace(/([?&]key=)[^&]*/g, '$1[redacted]');
  return {
    ...(logger === true ? {} : logger),
    serializers: {
      req: (request: FastifyRequest) => ({
        method: request.method,
        url: redact(request.url),
        host: request.host,
        remoteAddress: request.ip,
      }),
    },
  };
}
