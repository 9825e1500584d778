/**
 * Composes a running Jobgate: config → store → engine → in-process workers → HTTP app.
 * Used by `jobgate serve` and by tests that need a whole server.
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BlobStore } from '../artifacts/blob-store.js';
import { createBlobStore } from '../artifacts/create-blob-store.js';
import type { JobgateConfig } from '../config/config-schema.js';
import { connectionLimits, queuePolicy, resetOffsetMs, validateConfig } from '../config/load-config.js';
import { ownerLimits, tierRate } from '../config/tier-limits.js';
import { demoHandler, demoQueue } from '../demo/demo-handler.js';
import { loadDemoWorkloads, missingWorkloadsLine } from '../demo/workloads.js';
import { ApiKeys } from '../engine/api-keys.js';
import { ArtifactService } from '../engine/artifact-service.js';
import { Engine, type EngineConfig } from '../engine/engine.js';
import { InboundHooks } from '../engine/hooks/inbound-hooks.js';
import type { Principal } from '../engine/principal.js';
import { ScheduleAdmin } from '../engine/schedules/schedule-admin.js';
import { WebhookService } from '../engine/webhooks/webhook-service.js';
import type { WebhookSettings } from '../engine/webhooks/webhook-settings.js';
import { type AppOptions, buildApp, version } from '../http/app.js';
import { jobDto } from '../http/job-dto.js';
import { SignedLinks } from '../http/signed-links.js';
import type { JobStore } from '../store/store.js';
import { InProcessWorkers } from '../worker/in-process-workers.js';
import { type CreatedStore, createStore } from './create-store.js';
import { loadLinkSecret } from './link-secret.js';
import { loopErrorLog } from './loop-error-log.js';
import { startStore } from './store-startup.js';
import { webhookSettingsFrom } from './webhook-settings-from-config.js';
import { createWorkerPlane, type WorkerPlane, type WorkerPlaneOptions } from './worker-plane.js';

export interface ServerOptions {
  port: number;
  host: string;
  db: string;
  demo: boolean;
  config?: JobgateConfig;
  /** The bootstrap admin key (JOBGATE_ADMIN_KEY). In demo mode one is generated when absent. */
  adminKey?: string;
  logger?: boolean | { level: string };
  store?: JobStore;
  /** `redis://host:port/db` or `redis+cluster://host:port,…` for the Redis store; otherwise the SQLite file `db`. */
  storeUrl?: string;
  /** A Redis call's longest wait before it answers 503 (default 1,000 ms). */
  storeTimeoutMs?: number;
  engine?: Omit<EngineConfig, 'store'>;
  /** How long shutdown waits for running jobs before releasing their leases. */
  graceMs?: number;
  /** Bearer token GET /metrics requires (JOBGATE_METRICS_TOKEN); open when absent. */
  metricsToken?: string;
  /** Event stream settings (keep-alive, resume log bounds). */
  streams?: AppOptions['streams'];
  demoConcurrency?: number;
  /** In demo mode, also the real workloads whose programs are installed (`serve --demo`; default false). */
  workloads?: boolean;
  /** Timings of the worker registry and the pools (tests shorten them). */
  workerPlane?: WorkerPlaneOptions;
  /** Webhook settings over the config file's (tests shorten the schedule and the sweep). */
  webhooks?: Partial<WebhookSettings>;
  /** Artifact storage: the blob store (default from config.artifacts) and the data directory (default: the db file's). */
  artifacts?: { blobs?: BlobStore; dataDir?: string };
}

export interface RunningServer {
  app: FastifyInstance;
  engine: Engine;
  workers: InProcessWorkers;
  artifacts: ArtifactService;
  /** Remote and pooled workers, and the pools of `queues.<name>.pool`. */
  workerPlane: WorkerPlane;
  webhooks: WebhookService;
  url: string;
  /** Set when demo mode generated the admin key. */
  generatedAdminKey: string | null;
  keys: ApiKeys;
  /** Whether the store answered at start; else the server started degraded (store-startup.ts). */
  connectedAtOnce: boolean;
  /** True once the store answered and the server prepared its queues, events and pools. */
  storeReady: Promise<boolean>;
  close(): Promise<void>;
}

export const graceMsDefault = 10_000;
const demoQueueDefaults = { maxWorkers: 4, maxQueued: 10_000 };

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const config = options.config ?? validateConfig({});
  if (options.demo && !config.queues[demoQueue]) config.queues[demoQueue] = { ...demoQueueDefaults };
  const log = (line: string) => process.stderr.write(`jobgate: ${line}\n`);
  const loopError = loopErrorLog(log);
  const workloads = options.demo && options.workloads ? await loadDemoWorkloads(config) : null;
  const missingLine = workloads ? missingWorkloadsLine(workloads.missing) : null;
  if (missingLine) log(missingLine);
  const created: CreatedStore = options.store
    ? { store: options.store, connect: async () => {} }
    : createStore({
        storeUrl: options.storeUrl,
        db: options.db,
        fairness: config.fairness,
        warn: (message) => log(`warning: ${message}`),
        timeoutMs: options.storeTimeoutMs,
      });
  const { store } = created;
  const tierOf = (principal: Principal) => config.tiers[principal.tier] ?? config.tiers[config.defaultTier]!;
  const engine: Engine = new Engine({
    limitsFor: (principal) => ownerLimits(tierOf(principal)),
    quota: { resetOffsetMs: resetOffsetMs(config), jitterMs: config.quota.jitterSec * 1000 },
    idempotencyTtlMs: config.idempotencyTtlSec * 1000,
    queues: queuePolicy(config),
    retention: {
      completedMs: config.retention.completedHours * 3600_000,
      failedMs: config.retention.failedHours * 3600_000,
    },
    // Wait estimates count every live worker slot — in-process, remote or pooled — up to the queue's maxWorkers.
    capacityFor: (queue): number => config.queues[queue]?.maxWorkers ?? Number.POSITIVE_INFINITY,
    ...options.engine,
    store,
  });
  const schedules = new ScheduleAdmin(engine);
  const dataDir =
    options.artifacts?.dataDir ??
    (options.db === ':memory:' ? join(tmpdir(), `jobgate-${process.pid}`) : dirname(options.db));
  const artifacts = new ArtifactService({
    engine,
    blobs: options.artifacts?.blobs ?? createBlobStore(config.artifacts, dataDir),
    limits: {
      maxArtifactBytes: config.artifacts.maxArtifactBytes,
      maxJobBytes: config.artifacts.maxJobBytes,
    },
    sweepIntervalMs: config.artifacts.sweepIntervalSec * 1000,
    orphanGraceMs: config.artifacts.orphanGraceSec * 1000,
    onSweepError: loopError('artifact sweep'),
  });
  const workers = new InProcessWorkers(engine, { artifacts });
  const workerPlane = createWorkerPlane(engine, config, workers, {
    ...options.workerPlane,
    onError: loopError('pool'),
  });
  engine.setWorkerDirectory(workerPlane.directory);
  if (options.demo) workers.register(demoQueue, demoHandler, { concurrency: options.demoConcurrency ?? 4 });
  workloads?.register(workers, options.demoConcurrency ?? 4);

  const generatedAdminKey =
    !options.adminKey && options.demo && process.env.NODE_ENV !== 'production'
      ? `jg_dev_${randomBytes(18).toString('base64url')}`
      : null;
  const keys = new ApiKeys(store, {
    bootstrapAdminKey: options.adminKey ?? generatedAdminKey ?? undefined,
    tiers: Object.keys(config.tiers),
  });
  const webhooks = new WebhookService(engine, {
    settings: { ...webhookSettingsFrom(config), ...options.webhooks },
    view: (job) => jobDto(job),
    userAgent: `Jobgate-Webhooks/${version}`,
    onError: loopError('webhooks'),
  });
  const rateFor = (principal: Principal) => {
    // Worker keys are not rate-limited: their traffic is bounded by their concurrency.
    if (principal.keyId === 'bootstrap' || principal.role === 'worker') return null;
    return tierRate(tierOf(principal));
  };
  const hooks = new InboundHooks(
    engine,
    Object.fromEntries(
      Object.entries(config.hooks ?? {}).map(([name, { secret, secrets, tier, ...hook }]) => [
        name,
        {
          ...hook,
          tier: tier ?? config.defaultTier,
          secrets: [...(secret ? [secret] : []), ...(secrets ?? [])],
        },
      ]),
    ),
    rateFor,
  );
  const app = await buildApp({
    engine,
    keys,
    webhooks,
    hooks,
    logger: options.logger,
    metricsToken: options.metricsToken,
    cors: config.cors,
    streams: options.streams,
    connections: connectionLimits(config),
    workerRegistry: workerPlane.registry,
    pools: workerPlane.pools,
    artifacts: {
      service: artifacts,
      links: new SignedLinks(loadLinkSecret(dataDir), config.artifacts.linkTtlSec),
      presignedRedirect: config.artifacts.s3?.presignedRedirect ?? false,
    },
    rateFor,
  });
  // Fastify compiles every route's schemas when it gets ready: seconds of synchronous work
  // on a loaded machine. Done before the store work and the loops start, so no store call
  // is in flight meanwhile (a Redis call waiting through it times out, and its connection
  // is dropped).
  await app.ready();
  // What needs the store runs once it answers: before listening when it does at once,
  // in the background (the server degraded meanwhile) when it does not (store-startup.ts).
  const startup = await startStore(created, {
    url: options.storeUrl ?? options.db,
    log,
    prepare: async () => {
      for (const [queue, settings] of Object.entries(config.queues)) {
        await engine.configureQueue({
          queue,
          maxWorkers: settings.maxWorkers ?? null,
          maxQueued: settings.maxQueued ?? null,
        });
        const { timeoutMs, maxAttempts, priority, backoff } = settings;
        const policy = Object.fromEntries(
          Object.entries({ timeoutMs, maxAttempts, priority, backoff }).filter(
            ([, value]) => value !== undefined,
          ),
        );
        // The file's fields win at start; fields it leaves out keep what the API set.
        if (Object.keys(policy).length > 0) await engine.policies.patch(queue, policy);
      }
      for (const [name, schedule] of Object.entries(config.schedules ?? {}))
        await schedules.upsert({ name, ...schedule, tier: schedule.tier ?? config.defaultTier });
      await engine.shareEvents();
    },
  });
  engine.start();
  webhooks.start();
  artifacts.start();
  workers.start();
  let address: string;
  try {
    address = await app.listen({ port: options.port, host: options.host });
  } catch (error) {
    startup.stop();
    await Promise.all([app.close(), workers.stop(0), webhooks.stop(), artifacts.stop(), engine.stop()]);
    await store.close();
    throw error;
  }
  const poolsStarted = startup.ready.then((ready) => (ready ? workerPlane.start(address, keys) : undefined));
  if (startup.connectedAtOnce) await poolsStarted;
  else poolsStarted.catch((error: unknown) => log(`pool: ${String(error)}`));
  let closing: Promise<void> | null = null;
  const close = () => {
    // Order matters: stop taking requests, let running jobs finish (or release them), then stop the loops.
    closing ??= (async () => {
      startup.stop();
      await poolsStarted.catch(() => {});
      await workerPlane.stop();
      await app.close();
      await workers.stop(options.graceMs ?? graceMsDefault);
      await webhooks.stop();
      await artifacts.stop();
      await engine.stop();
      await store.close();
    })();
    return closing;
  };
  return {
    app,
    engine,
    workers,
    artifacts,
    workerPlane,
    webhooks,
    url: address,
    generatedAdminKey,
    keys,
    connectedAtOnce: startup.connectedAtOnce,
    storeReady: startup.ready,
    close,
  };
}
