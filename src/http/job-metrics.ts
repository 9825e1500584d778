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
import type { StatusCounts } from '../store/store.js';

/** Expensive jobs run for seconds to an hour; the buckets span that. */
const durationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

interface StoreReading {
  ok: boolean;
  pingMs: number | null;
  counts: Map<string, StatusCounts>;
}

async function readStoreOnce(engine: Engine, deadlineMs: number): Promise<StoreReading> {
  const counts = new Map<string, StatusCounts>();
  try {
    const pingMs = await withDeadline(engine.store.ping(), deadlineMs, 'the ping');
    for (const queue of await knownQueues(engine, deadlineMs)) {
      counts.set(queue, await withDeadline(engine.store.counts(queue), deadlineMs, 'the job counts'));
    }
    return { ok: true, pingMs, counts };
  } catch {
    return { ok: false, pingMs: null, counts: new Map() };
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

export interface JobMetrics {
  registry: Registry;
  /** Counts an error answer by its registry code (429s of the rate limiter among them). */
  countError(code: string): void;
  /** Stops following the engine's events. */
  close(): void;
}

export function createJobMetrics(engine: Engine, deadlineMs = readDeadlineMsDefault): JobMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

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
    help: 'Requests refused with 429 by the per-key rate limit',
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

  const perQueue = [submitted, completed, failed, cancelled, retried, deferred, removed, waitTime, runTime];

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

  return {
    registry,
    countError(code) {
      errors.inc({ code });
      if (code === 'JOBGATE_ERR_RATE_LIMITED') rateLimited.inc();
    },
    close() {
      unsubscribe();
      unRetired();
    },
  };
}
