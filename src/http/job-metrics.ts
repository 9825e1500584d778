/**
 * The Prometheus metrics of one app, on that app's own Registry (two apps in one
 * process each have theirs; nothing goes to prom-client's global registry).
 *
 * Counters follow the EventBus: each transition is counted once, on the server whose
 * engine made it (`event.local`), so a sum over servers sharing a store is right.
 * Gauges of jobs by state and of the store's latency are read from the store when
 * Prometheus scrapes, under a deadline; a store that fails or answers late sets
 * `jobgate_store_up 0` and leaves the job gauges empty rather than failing the scrape.
 * docs/VISIBILITY.md lists every metric.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_STATUSES } from '../domain/job-states.js';
import { readDeadlineMsDefault, withDeadline } from '../engine/deadline.js';
import type { Engine } from '../engine/engine.js';
import type { JobEvent } from '../engine/events.js';
import { knownQueues } from '../engine/queue-status.js';
import { WORKER_SLOT_STATES } from '../engine/worker-directory.js';
import type { PoolManager } from '../pool/pool-manager.js';
import type { StatusCounts } from '../store/store.js';

/** Expensive jobs run for seconds to an hour; the buckets span that. */
const durationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

interface StoreReading {
  ok: boolean;
  pingMs: number | null;
  counts: Map<string, StatusCounts>;
  /** Per queue with jobs queued: when its oldest queued job became due, and the store's clock. */
  oldest: Map<string, number>;
  now: number;
}

async function readStoreOnce(engine: Engine, deadlineMs: number): Promise<StoreReading> {
  const counts = new Map<string, StatusCounts>();
  const oldest = new Map<string, number>();
  try {
    const pingMs = await withDeadline(engine.store.ping(), deadlineMs, 'the ping');
    const now = await withDeadline(engine.store.now(), deadlineMs, 'the clock');
    for (const queue of await knownQueues(engine, deadlineMs)) {
      const byState = await withDeadline(engine.store.counts(queue), deadlineMs, 'the job counts');
      counts.set(queue, byState);
      if (byState.queued === 0) continue;
      const since = await withDeadline(engine.store.oldestQueuedAt(queue), deadlineMs, 'the oldest job');
      if (since !== null) oldest.set(queue, since);
    }
    return { ok: true, pingMs, counts, oldest, now };
  } catch {
    return { ok: false, pingMs: null, counts: new Map(), oldest: new Map(), now: 0 };
  }
}

type QueueLabelled = Counter<string> | Histogram<string>;

/** Removes every series of `metrics` whose queue label is not in `keep` (or, given `only`, is `only`). */
async function pruneQueues(
  metrics: QueueLabelled[],
  keep: ReadonlySet<string>,
  only?: string,
): Promise<void> {
  for (const metric of metrics) {
    const gone = new Map<string, Record<string, string | number>>();
    for (const { labels } of (await metric.get()).values) {
      const queue = labels.queue;
      if (queue === undefined || keep.has(String(queue)) || (only !== undefined && queue !== only)) continue;
      const { le: _bucket, ...series } = labels as Record<string, string | number>;
      gone.set(JSON.stringify(series), series);
    }
    for (const series of gone.values()) metric.remove(series);
  }
}

/** What the metrics read of the worker pools: their phases and signals. */
export type PoolSource = Pick<PoolManager, 'queues' | 'status' | 'on' | 'off'>;

export interface JobMetrics {
  registry: Registry;
  /** Counts an error answer by its registry code; a 429 of the rate limiter also by the caller's tier. */
  countError(code: string, tier?: string): void;
  /** Times one answered request by its route pattern (never the raw URL: the labels stay bounded). */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void;
  /** Stops following the engine's events. */
  close(): void;
}

/**
 * prom-client's totals of active handles, requests and resources are gauges named
 * `_total`, which promtool rejects; the per-type gauges without the suffix stay.
 */
const misnamedDefaults = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export function createJobMetrics(
  engine: Engine,
  deadlineMs = readDeadlineMsDefault,
  pools?: PoolSource,
): JobMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  for (const name of misnamedDefaults) registry.removeSingleMetric(name);

  const counter = (name: string, help: string, labelNames: string[] = ['queue']) =>
    new Counter({ name, help, labelNames, registers });
  const submitted = counter('jobgate_jobs_submitted_total', 'Jobs admitted');
  const completed = counter('jobgate_jobs_completed_total', 'Jobs completed');
  const failed = counter(
    'jobgate_jobs_failed_total',
    'Jobs failed for good (attempts spent or unrecoverable)',
  );
  const cancelled = counter('jobgate_jobs_cancelled_total', 'Jobs cancelled');
  const retried = counter(
    'jobgate_jobs_retried_total',
    'Jobs sent round again: reason=backoff (a failed attempt), lease_expired (reaped), manual (POST retry)',
    ['queue', 'reason'],
  );
  const deferred = counter(
    'jobgate_jobs_quota_deferred_total',
    'Jobs admitted as scheduled for a later day because the daily quota was spent',
  );
  const removed = counter('jobgate_jobs_removed_total', 'Waiting jobs deleted by clearing their queue');
  const errors = new Counter({
    name: 'jobgate_http_errors_total',
    help: 'Error answers by code',
    labelNames: ['code'],
    registers,
  });
  const rateLimited = new Counter({
    name: 'jobgate_http_rate_limited_total',
    help: 'Requests refused with 429 by the per-key rate limit, by the key’s tier',
    labelNames: ['tier'],
    registers,
  });
  const requestTime = new Histogram({
    name: 'jobgate_http_request_duration_seconds',
    help: 'Answered requests by method, route pattern and status class (2xx, 4xx…)',
    labelNames: ['method', 'route', 'status_class'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const queueLatency = new Histogram({
    name: 'jobgate_job_queue_latency_seconds',
    help: 'From submit to a worker starting the job’s first attempt',
    labelNames: ['queue'],
    buckets: durationBuckets,
    registers,
  });
  const waitTime = new Histogram({
    name: 'jobgate_job_wait_seconds',
    help: 'From a job being due (runAt) to a worker starting it, per attempt',
    labelNames: ['queue'],
    buckets: durationBuckets,
    registers,
  });
  const runTime = new Histogram({
    name: 'jobgate_job_run_seconds',
    help: 'From start to end of a job’s last attempt, by outcome',
    labelNames: ['queue', 'status'],
    buckets: durationBuckets,
    registers,
  });

  const perQueue: QueueLabelled[] = [
    submitted,
    completed,
    failed,
    cancelled,
    retried,
    deferred,
    removed,
    waitTime,
    runTime,
    queueLatency,
  ];

  // Prometheus collects every metric at once; the store is read once per scrape and shared.
  let reading: Promise<StoreReading> | null = null;
  const readStore = () => {
    reading ??= readStoreOnce(engine, deadlineMs).finally(() => {
      reading = null;
    });
    return reading;
  };
  new Gauge({
    name: 'jobgate_store_up',
    help: '1 when the store answered the scrape’s reads in time, else 0',
    registers,
    async collect() {
      this.set((await readStore()).ok ? 1 : 0);
    },
  });
  new Gauge({
    name: 'jobgate_store_ping_seconds',
    help: 'Round trip of the store ping taken at scrape time',
    registers,
    async collect() {
      const { pingMs } = await readStore();
      if (pingMs === null) this.reset();
      else this.set(pingMs / 1000);
    },
  });
  new Gauge({
    name: 'jobgate_jobs',
    help: 'Jobs by state, per queue, read from the store at scrape time',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      const { ok, counts } = await readStore();
      this.reset();
      for (const [queue, byState] of counts) {
        for (const state of JOB_STATUSES) this.set({ queue, state }, byState[state]);
      }
      // A retired queue's series go with it: the queue labels stay within the queues that
      // exist (configured, plus at most queues.maxUnknown made by submits).
      if (ok) await pruneQueues(perQueue, new Set([...counts.keys(), ...engine.workers.queues()]));
    },
  });
  new Gauge({
    name: 'jobgate_queue_oldest_job_age_seconds',
    help: 'Age of the oldest queued job (since it became due), per queue; 0 with none queued',
    labelNames: ['queue'],
    registers,
    async collect() {
      const { counts, oldest, now } = await readStore();
      this.reset();
      for (const queue of counts.keys()) {
        const since = oldest.get(queue);
        this.set({ queue }, since === undefined ? 0 : Math.max(0, now - since) / 1000);
      }
    },
  });
  new Gauge({
    name: 'jobgate_workers',
    help: 'Worker slots by state, per queue',
    labelNames: ['queue', 'state'],
    registers,
    collect() {
      this.reset();
      for (const queue of engine.workers.queues()) {
        const counts = engine.workers.states(queue);
        for (const state of WORKER_SLOT_STATES) this.set({ queue, state }, counts[state]);
      }
    },
  });

  const seconds = (from: number | null, to: number | null) =>
    from === null || to === null ? null : Math.max(0, to - from) / 1000;
  const observe = ({ kind, job, local }: JobEvent) => {
    if (!local) return;
    const queue = job.queue;
    switch (kind) {
      case 'created':
        submitted.inc({ queue });
        break;
      case 'deferred':
        deferred.inc({ queue });
        break;
      case 'running': {
        const wait = seconds(job.runAt, job.startedAt);
        if (wait !== null) waitTime.observe({ queue }, wait);
        const latency = seconds(job.createdAt, job.startedAt);
        if (job.attempts === 1 && latency !== null) queueLatency.observe({ queue }, latency);
        break;
      }
      case 'completed':
      case 'failed': {
        (kind === 'completed' ? completed : failed).inc({ queue });
        const run = seconds(job.startedAt, job.finishedAt);
        if (run !== null) runTime.observe({ queue, status: kind }, run);
        break;
      }
      case 'cancelled':
        cancelled.inc({ queue });
        break;
      // A failed attempt with attempts left comes back as `scheduled` (its backoff).
      case 'scheduled':
        retried.inc({ queue, reason: 'backoff' });
        break;
      case 'requeued':
        retried.inc({ queue, reason: 'lease_expired' });
        break;
      case 'retried':
        retried.inc({ queue, reason: 'manual' });
        break;
      case 'removed':
        removed.inc({ queue });
        break;
    }
  };
  const unsubscribe = engine.events.subscribe(observe);
  const unRetired = engine.queueCatalog.onRetired((queue) => {
    void pruneQueues(perQueue, new Set(), queue);
  });

  const stopPools = pools ? followPools(pools, counter) : () => {};
  if (pools) {
    new Gauge({
      name: 'jobgate_pool_workers',
      help: 'Workers a pool started, by phase (initializing, live, stopping), per queue',
      labelNames: ['queue', 'phase'],
      registers,
      collect() {
        this.reset();
        for (const queue of pools.queues()) {
          const byPhase: Record<string, number> = { initializing: 0, live: 0, stopping: 0 };
          for (const { phase } of pools.status(queue).workers) byPhase[phase] = (byPhase[phase] ?? 0) + 1;
          for (const [phase, n] of Object.entries(byPhase)) this.set({ queue, phase }, n);
        }
      },
    });
  }

  return {
    registry,
    countError(code, tier) {
      errors.inc({ code });
      if (code === 'JOBGATE_ERR_RATE_LIMITED') rateLimited.inc({ tier: tier ?? 'unknown' });
    },
    observeRequest(method, route, statusCode, secs) {
      requestTime.observe({ method, route, status_class: `${Math.floor(statusCode / 100)}xx` }, secs);
    },
    close() {
      unsubscribe();
      unRetired();
      stopPools();
    },
  };
}

/** Pool starts, crashes and warmup outcomes, from the PoolManager's signals. */
function followPools(
  pools: PoolSource,
  counter: (name: string, help: string, labelNames?: string[]) => Counter<string>,
): () => void {
  const starts = counter('jobgate_pool_worker_starts_total', 'Workers a pool started');
  const crashes = counter(
    'jobgate_pool_worker_crashes_total',
    'Pool workers that exited unasked, never registered or went silent',
  );
  const warmups = counter(
    'jobgate_pool_warmups_total',
    'Warmup calls by outcome: noop (a worker was ready), started, starting, at_capacity',
    ['queue', 'status'],
  );
  const onStarted = (_workerId: string, queue = 'unknown') => starts.inc({ queue });
  const onCrashed = (_workerId: string, queue = 'unknown') => crashes.inc({ queue });
  const onWarmup = (queue: string, status: string) => warmups.inc({ queue, status });
  pools.on('started', onStarted);
  pools.on('crashed', onCrashed);
  pools.on('warmup', onWarmup);
  return () => {
    pools.off('started', onStarted);
    pools.off('crashed', onCrashed);
    pools.off('warmup', onWarmup);
  };
}
