/**
 * The engine: the only way into the store for http/, cli/ and the workers. It turns
 * requests into store operations, publishes an event for each transition, and owns
 * the background services (promoter, reaper, purger).
 */
import { randomUUID } from 'node:crypto';
import { JobgateError } from '../domain/errors.js';
import type { ClaimedJob, Job, JobError, JobProgress } from '../domain/job.js';
import { PRIORITY_DEFAULT } from '../domain/job.js';
import type { QueuePolicy as QueueJobPolicy } from '../domain/queue-policy.js';
import {
  backoffDelay,
  type RetryPolicy,
  retryPolicyDefault,
  validateRetryPolicy,
} from '../domain/retry-policy.js';
import type { WaitEstimate } from '../domain/wait-estimate.js';
import {
  type AdmitView,
  type DailyUsage,
  type JobStore,
  listLimitMax,
  type OwnerLimits,
  type StatusCounts,
  unlimitedOwner,
} from '../store/store.js';
import { asCallerError } from '../store/store-errors.js';
import { EventBus, type JobEventKind, statusEvent } from './events.js';
import { bindCursor, unbindCursor } from './list-cursor.js';
import { QueuePolicies } from './policies/queue-policies.js';
import { type Principal, scopeOwner } from './principal.js';
import { QueueCatalog, type QueuePolicy, retireBatch } from './queue-catalog.js';
import { QueueEventBus } from './queue-events.js';
import { ScheduleRunner, ticksPerPassMax } from './schedules/schedule-runner.js';
import { LoopService } from './services/loop-service.js';
import { fingerprint } from './submit-fingerprint.js';
import { type SubmitInput, validateSubmit } from './submit-input.js';
import { WaitEstimator } from './wait-estimator.js';
import { WaitInputsReader } from './wait-inputs.js';
import { emptyWorkerDirectory, type WorkerDirectory } from './worker-directory.js';

export interface EngineConfig {
  store: JobStore;
  /** How long a claim holds a job without a heartbeat. */
  leaseMs?: number;
  retry?: RetryPolicy;
  defaultMaxAttempts?: number;
  retention?: { completedMs: number; failedMs: number };
  intervals?: { promoteMs: number; reapMs: number; purgeMs: number; scheduleMs?: number; retireMs?: number };
  /** Which queues a submit may create, their caps and retirement (queue-catalog.ts); any, uncapped, when absent. */
  queues?: QueuePolicy;
  /** Tier limits of a principal; unlimited when absent (single-tenant use). */
  limitsFor?: (principal: Principal) => OwnerLimits;
  /** A cap on the worker slots wait estimates count for a queue; default none (every live slot). */
  capacityFor?: (queue: string) => number;
  quota?: { resetOffsetMs: number; jitterMs: number };
  idempotencyTtlMs?: number;
  onServiceError?: (service: string, error: unknown) => void;
}

export const leaseMsDefault = 30_000;
export const retentionDefault = { completedMs: 24 * 3600_000, failedMs: 7 * 24 * 3600_000 };
export const intervalsDefault = { promoteMs: 250, reapMs: 1_000, purgeMs: 60_000, scheduleMs: 250 };
const batchSize = 500;
const ownerLimitsMax = 10_000;
/** How often idle created queues are looked for (queue-catalog.ts). */
const retireIntervalMs = 60_000;

export interface Usage {
  jobsUsed: number;
  /** null = unlimited. */
  jobsRemaining: number | null;
  iterationsUsed: number;
  /**
   * Follow-ups that may still be submitted before a confirmation is needed: for a job's
   * answer, in that job's chain (0 when it awaits confirmation); else a new chain's
   * allowance (the tier's depth). null = unlimited.
   */
  iterationsRemaining: number | null;
  dailyLimitResetsAt: number;
}

export interface SubmitOutcome {
  job: Job;
  duplicate: boolean;
  deferredByQuota: boolean;
  /** Place, running count and usage as of the admission, when the store read them in that step. */
  view?: AdmitView;
}

export type BatchItemOutcome = SubmitOutcome | { error: JobgateError };

export interface Lease {
  id: string;
  token: string;
  /** The worker presenting it: the store refuses a lease another worker claimed (LeaseRef). */
  workerId?: string;
}

export class Engine {
  readonly store: JobStore;
  readonly events = new EventBus();
  /** Queue transitions (pause, resume) made on this server. */
  readonly queueEvents = new QueueEventBus();
  readonly leaseMs: number;
  readonly services: {
    promoter: LoopService;
    reaper: LoopService;
    purger: LoopService;
    scheduler: LoopService;
    retirer: LoopService;
  };
  readonly queueCatalog: QueueCatalog;
  private readonly retry: RetryPolicy;
  private readonly defaultMaxAttempts: number;
  private readonly limitsFor: (principal: Principal) => OwnerLimits;
  private readonly quota: { resetOffsetMs: number; jitterMs: number };
  private readonly idempotencyTtlMs: number;
  private readonly capacityFor: (queue: string) => number;
  readonly estimator = new WaitEstimator();
  /** The inputs of every wait estimate (domain/wait-estimate.ts), read one way for all callers. */
  readonly waits: WaitInputsReader;
  /** Each owner's tier limits as of its last submit here, for estimates others ask for (an admin's view). */
  private readonly ownerLimits = new Map<string, OwnerLimits>();
  /** Per-queue job defaults and backoff (PATCH /api/v1/queues/:queue, `queues.<name>` in the config). */
  readonly policies: QueuePolicies;
  private directory: WorkerDirectory = emptyWorkerDirectory;

  constructor(config: EngineConfig) {
    this.store = config.store;
    this.queueCatalog = new QueueCatalog(config.store, config.queues);
    this.leaseMs = config.leaseMs ?? leaseMsDefault;
    if (!(this.leaseMs >= 100)) throw new Error('leaseMs must be at least 100');
    this.retry = validateRetryPolicy(config.retry ?? retryPolicyDefault);
    this.defaultMaxAttempts = config.defaultMaxAttempts ?? 3;
    this.limitsFor = config.limitsFor ?? (() => unlimitedOwner);
    this.quota = config.quota ?? { resetOffsetMs: 0, jitterMs: 0 };
    this.idempotencyTtlMs = config.idempotencyTtlMs ?? 24 * 3600_000;
    this.capacityFor = config.capacityFor ?? (() => Number.POSITIVE_INFINITY);
    this.waits = new WaitInputsReader({
      store: this.store,
      estimator: this.estimator,
      workers: () => this.directory,
      capacityOf: (queue) => this.capacityFor(queue),
    });
    this.policies = new QueuePolicies(this.store, {
      retry: this.retry,
      maxAttempts: this.defaultMaxAttempts,
    });
    this.events.subscribe(({ kind, job }) => {
      if (kind === 'completed' && job.startedAt !== null && job.finishedAt !== null) {
        this.estimator.record(job.queue, job.type, job.finishedAt - job.startedAt);
      }
    });
    const retention = config.retention ?? retentionDefault;
    const intervals = config.intervals ?? intervalsDefault;
    const onError = (name: string) => (error: unknown) => config.onServiceError?.(name, error);
    // A tick the admission refuses (queue full, quota) is reported and passed over.
    const scheduleRunner = new ScheduleRunner(this, (_schedule, error) => onError('scheduler')(error));
    this.services = {
      promoter: new LoopService({
        name: 'promoter',
        intervalMs: intervals.promoteMs,
        batchSize,
        onError: onError('promoter'),
        tick: async () => this.publishAll('queued', await this.store.promoteDue({ limit: batchSize })),
      }),
      reaper: new LoopService({
        name: 'reaper',
        intervalMs: intervals.reapMs,
        batchSize,
        onError: onError('reaper'),
        tick: async () => {
          const jobs = await this.store.reapExpired({ limit: batchSize });
          for (const job of jobs)
            this.events.publish(job.status === 'queued' ? 'requeued' : statusEvent(job), job);
          return jobs.length;
        },
      }),
      scheduler: new LoopService({
        name: 'scheduler',
        intervalMs: intervals.scheduleMs ?? intervalsDefault.scheduleMs,
        batchSize: ticksPerPassMax,
        onError: onError('scheduler'),
        tick: () => scheduleRunner.pass(),
      }),
      retirer: new LoopService({
        name: 'retirer',
        intervalMs: config.intervals?.retireMs ?? retireIntervalMs,
        batchSize: retireBatch,
        onError: onError('retirer'),
        tick: () => this.queueCatalog.retireIdle(),
      }),
      purger: new LoopService({
        name: 'purger',
        intervalMs: intervals.purgeMs,
        batchSize,
        onError: onError('purger'),
        tick: async () => {
          const now = await this.store.now();
          return this.store.purge({
            completedBefore: now - retention.completedMs,
            failedBefore: now - retention.failedMs,
            limit: batchSize,
          });
        },
      }),
    };
  }

  configureQueue(settings: {
    queue: string;
    maxWorkers: number | null;
    maxQueued: number | null;
  }): Promise<void> {
    this.waits.forget(settings.queue);
    this.queueCatalog.addConfigured(settings.queue);
    return this.store.configureQueue(settings);
  }

  /** Where queue status, /health and metrics read worker states; the workers are built after the engine. */
  setWorkerDirectory(directory: WorkerDirectory): void {
    this.directory = directory;
  }

  get workers(): WorkerDirectory {
    return this.directory;
  }

  /** Jobs of `queue` that can run at once, as wait estimates assume. */
  capacityOf(queue: string): number {
    return this.capacityFor(queue);
  }

  takeToken(request: { key: string; capacity: number; refillMs: number }) {
    return this.store.takeToken(request);
  }

  start(): void {
    for (const service of Object.values(this.services)) service.start();
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.services).map((service) => service.stop()));
    await this.events.close();
  }

  /** With a store that shares events (Redis), transitions on any server reach every server's bus. */
  async shareEvents(): Promise<void> {
    const { store } = this;
    if (!store.capabilities.sharedEvents || !store.publishEvent || !store.subscribeEvents) return;
    await this.events.relay({
      publish: (event) => store.publishEvent!(event),
      subscribe: (listener) => store.subscribeEvents!(listener),
    });
  }

  private publishAll(kind: JobEventKind, jobs: Job[]): number {
    for (const job of jobs) this.events.publish(kind, job);
    return jobs.length;
  }

  // ---- submitting -----------------------------------------------------------------

  /** `view`: also read the job's place and the owner's usage in the admission step, when the store can (an API answer shows them). */
  async submit(
    input: SubmitInput,
    principal: Principal,
    idempotencyKey?: string,
    options: { view?: boolean } = {},
  ): Promise<SubmitOutcome> {
    const [outcome] = await this.submitMany(
      [input],
      principal,
      idempotencyKey ? [idempotencyKey] : undefined,
      options,
    );
    if (!outcome) throw new JobgateError('JOBGATE_ERR_INTERNAL');
    if ('error' in outcome) throw outcome.error;
    return outcome;
  }

  /** Admits each item on its own: one item's error does not stop the others. */
  async submitMany(
    inputs: SubmitInput[],
    principal: Principal,
    idempotencyKeys?: string[],
    options: { view?: boolean } = {},
  ): Promise<BatchItemOutcome[]> {
    const limits = this.limitsFor(principal);
    this.rememberLimits(principal.owner, limits);
    const outcomes: Array<BatchItemOutcome | null> = inputs.map(() => null);
    const requests = [];
    const positions: number[] = [];
    // Store reads before the admission fail the call as the admission would (a store outage → 503).
    const policyOf = await this.policiesFor(inputs).catch((error: unknown) => {
      throw asCallerError(error);
    });
    for (const [index, input] of inputs.entries()) {
      try {
        const valid = validateSubmit(input);
        // A job's own fields win over its queue's policy, which wins over the server's defaults.
        const policy = policyOf.get(valid.queue) ?? {};
        const key = idempotencyKeys?.[index];
        requests.push({
          job: {
            id: this.store.newJobId?.(valid.queue) ?? randomUUID(),
            queue: valid.queue,
            type: valid.type ?? 'default',
            payload: valid.payload ?? null,
            priority: valid.priority ?? policy.priority ?? PRIORITY_DEFAULT,
            maxAttempts: valid.maxAttempts ?? policy.maxAttempts ?? this.defaultMaxAttempts,
            timeoutMs: valid.timeoutMs ?? policy.timeoutMs ?? null,
            runAt: valid.runAt ?? null,
            delayMs: valid.delayMs ?? null,
            owner: principal.owner,
            projectId: valid.projectId ?? null,
            parentId: valid.parentId ?? null,
          },
          limits,
          calendar: {
            resetOffsetMs: this.quota.resetOffsetMs,
            jitterMs: Math.floor(Math.random() * this.quota.jitterMs),
          },
          idempotency: key ? { key, fingerprint: fingerprint(input), ttlMs: this.idempotencyTtlMs } : null,
          view: options.view ?? false,
        });
        positions.push(index);
      } catch (error) {
        outcomes[index] = { error: asCallerError(error) };
      }
    }
    // Queues the submit may not use (unknown, or past a cap of created queues) fail their items.
    const verdicts = await this.queueCatalog
      .admit(new Set(requests.map((request) => request.job.queue)), principal)
      .catch((error: unknown) => {
        throw asCallerError(error);
      });
    for (let i = requests.length - 1; i >= 0; i--) {
      const refusal = verdicts.get(requests[i]!.job.queue);
      if (!refusal) continue;
      outcomes[positions[i]!] = { error: refusal };
      requests.splice(i, 1);
      positions.splice(i, 1);
    }
    const queues = new Set(requests.map((request) => request.job.queue));
    const [queue] = queues;
    // An idle in-process worker of the queue: its claim is made in the admission's own
    // step (one call on Redis, where a job it can take is leased as it is created), so
    // the job starts one round trip after the submit instead of two.
    const slots = queues.size === 1 ? (this.directory.reserveIdle?.(queue!) ?? null) : null;
    let results: Awaited<ReturnType<JobStore['admit']>>;
    let claimed: ClaimedJob[] = [];
    if (slots) {
      try {
        ({ outcomes: results, claimed } = await this.store.admitAndClaim(requests, {
          queue: queue!,
          workerId: slots.workerId,
          limit: slots.count,
          leaseMs: this.leaseMs,
        }));
      } catch (error) {
        slots.release();
        throw error;
      }
      // Before the events: a worker does not wake for its own jobs' transitions.
      slots.fill(claimed);
    } else {
      const admitted = this.store.admit(requests);
      // A busy worker's next claim sees the job; a claim woken now goes out right behind
      // the admission (a store runs a connection's calls in order).
      for (const name of queues) this.directory.wake?.(name);
      results = await admitted;
    }
    // A job leased in its own admission step is answered as it is now: running.
    const leased = new Map(claimed.map(({ leaseToken: _token, ...job }) => [job.id, job]));
    for (const [i, result] of results.entries()) {
      const index = positions[i]!;
      if (result.kind === 'error') {
        outcomes[index] = { error: asCallerError(result.error) };
        continue;
      }
      if (result.kind === 'created') {
        this.events.publish('created', result.job);
        if (result.deferredByQuota) this.events.publish('deferred', result.job);
        if (result.job.status !== 'scheduled') this.events.publish(statusEvent(result.job), result.job);
      }
      outcomes[index] = {
        job: leased.get(result.job.id) ?? result.job,
        duplicate: result.kind === 'duplicate',
        deferredByQuota: result.kind === 'created' && result.deferredByQuota,
        view: result.view,
      };
    }
    for (const job of claimed) this.events.publish('running', job);
    return outcomes.map((outcome) => outcome ?? { error: new JobgateError('JOBGATE_ERR_INTERNAL') });
  }

  /** The stored policy of every queue named in `inputs`; a queue whose policy cannot be read gets none (its admission reports the store). */
  private async policiesFor(inputs: SubmitInput[]): Promise<Map<string, QueueJobPolicy>> {
    const queues = new Set<string>();
    for (const input of inputs) if (typeof input?.queue === 'string') queues.add(input.queue);
    const read = await Promise.all(
      [...queues].map(async (queue) => [queue, await this.policies.of(queue).catch(() => ({}))] as const),
    );
    return new Map(read);
  }

  // ---- reading --------------------------------------------------------------------

  async get(id: string, principal: Principal): Promise<Job> {
    const job = await this.store.get(id, scopeOwner(principal));
    if (!job) throw new JobgateError('JOBGATE_ERR_JOB_NOT_FOUND', `No job ${id}`, { details: { id } });
    return job;
  }

  async list(
    filter: {
      status?: Job['status'];
      queue?: string;
      type?: string;
      owner?: string;
      /** An id prefix (the short id a list shows). */
      id?: string;
      limit?: number;
      cursor?: string;
    },
    principal: Principal,
  ) {
    const owner = scopeOwner(principal) ?? filter.owner;
    const limit = Math.min(filter.limit ?? 50, listLimitMax);
    const { id: idPrefix, ...rest } = filter;
    const scope = { status: filter.status, queue: filter.queue, type: filter.type, owner, idPrefix };
    const cursor = filter.cursor ? unbindCursor(filter.cursor, scope) : undefined;
    const page = await this.store.list({ ...rest, idPrefix, owner, limit, cursor });
    return { items: page.items, nextCursor: bindCursor(page.nextCursor, scope) };
  }

  counts(queue?: string): Promise<StatusCounts> {
    return this.store.counts(queue);
  }

  queues(): Promise<string[]> {
    return this.store.queues();
  }

  /**
   * Daily usage of the principal's owner against its tier. `job`: one of the owner's jobs
   * the answer is about, whose chain then gives `iterationsRemaining`.
   */
  async usage(principal: Principal, known?: DailyUsage, job?: Job): Promise<Usage> {
    const limits = this.limitsFor(principal);
    const daily =
      known ?? (await this.store.usage({ owner: principal.owner, resetOffsetMs: this.quota.resetOffsetMs }));
    const chain = job !== undefined && job.owner === principal.owner ? job : null;
    return {
      jobsUsed: daily.jobsUsed,
      jobsRemaining: limits.dailyJobs === null ? null : Math.max(0, limits.dailyJobs - daily.jobsUsed),
      iterationsUsed: daily.iterationsUsed,
      iterationsRemaining: chain ? chainIterationsLeft(chain) : limits.iterationDepth,
      dailyLimitResetsAt: daily.resetsAt,
    };
  }

  /**
   * Place in line and estimated wait of a queued job; null for any other status. `known`
   * is the place and running count its admission already read (see AdmitView); the
   * owner's limits come from `principal` when it is the job's owner.
   */
  async placeInLine(
    job: Job,
    known?: { position: number | null; running: number },
    principal?: Principal,
  ): Promise<{ position: number; estimatedWait: WaitEstimate } | null> {
    if (job.status !== 'queued') return null;
    const [position, running] = known
      ? [known.position, known.running]
      : await Promise.all([
          this.store.position(job.id),
          this.store.counts(job.queue).then((counts) => counts.running),
        ]);
    if (position === null) return null;
    const limits =
      principal && principal.owner === job.owner
        ? this.limitsFor(principal)
        : (this.ownerLimits.get(job.owner) ?? null);
    const estimatedWait = await this.waits.estimate({
      queue: job.queue,
      type: job.type,
      position,
      running,
      job,
      limits,
    });
    return { position, estimatedWait };
  }

  /**
   * The job as it is now with its place in line: a job answered `queued` always carries
   * a position. One that left the line between its read and its place's (a worker took
   * it) is read again, so the answer shows it running rather than queued without a place.
   */
  async withPlace(
    job: Job,
    principal: Principal,
    known?: { position: number | null; running: number },
  ): Promise<{ job: Job; place: { position: number; estimatedWait: WaitEstimate } | null }> {
    let current = job;
    let place = await this.placeInLine(current, known, principal);
    for (let reads = 0; current.status === 'queued' && place === null && reads < 3; reads++) {
      const fresh = await this.store.get(current.id);
      if (!fresh) break;
      current = fresh;
      place = await this.placeInLine(current, undefined, principal);
    }
    return { job: current, place };
  }

  private rememberLimits(owner: string, limits: OwnerLimits): void {
    if (this.ownerLimits.get(owner) === limits) return;
    this.ownerLimits.delete(owner);
    this.ownerLimits.set(owner, limits);
    // Bounded: the oldest entry goes (Map keeps insertion order).
    if (this.ownerLimits.size > ownerLimitsMax)
      this.ownerLimits.delete(this.ownerLimits.keys().next().value!);
  }

  // ---- operator actions -----------------------------------------------------------

  async cancel(id: string, principal: Principal): Promise<Job> {
    const { job, outcome } = await this.store.cancel({ id, owner: scopeOwner(principal) });
    this.events.publish(outcome === 'cancelled' ? 'cancelled' : 'cancel_requested', job);
    return job;
  }

  async retryJob(id: string, principal: Principal): Promise<Job> {
    const job = await this.store.retry({ id, owner: scopeOwner(principal) });
    this.events.publish('retried', job);
    this.events.publish('queued', job);
    return job;
  }

  /** A scheduled job (delayed, backing off, deferred by quota) runs now. */
  async promote(id: string, principal: Principal): Promise<Job> {
    const job = await this.store.promote({ id, owner: scopeOwner(principal) });
    this.events.publish('queued', job);
    return job;
  }

  /** Deletes a finished job; returns it as it was. */
  async deleteJob(id: string, principal: Principal): Promise<Job> {
    const job = await this.store.deleteJob({ id, owner: scopeOwner(principal) });
    this.events.publish('removed', job);
    return job;
  }

  async confirm(id: string, principal: Principal): Promise<Job> {
    const grant = Math.max(1, this.limitsFor(principal).iterationBatch);
    const job = await this.store.confirm({ id, owner: scopeOwner(principal), grant });
    this.events.publish('confirmed', job);
    this.events.publish('queued', job);
    return job;
  }

  // ---- the worker side ------------------------------------------------------------

  async claim(request: { queue: string; workerId: string; limit: number }): Promise<ClaimedJob[]> {
    const jobs = await this.store.claim({ ...request, leaseMs: this.leaseMs });
    for (const job of jobs) this.events.publish('running', job);
    return jobs;
  }

  heartbeat(leases: Lease[]) {
    return this.store.heartbeat({ leases, leaseMs: this.leaseMs });
  }

  async progress(lease: Lease, progress: JobProgress): Promise<Job> {
    const job = await this.store.progress({ ...lease, progress });
    this.events.publish('progress', job);
    return job;
  }

  async complete(lease: Lease, result: unknown): Promise<Job> {
    const job = await this.store.complete({ ...lease, result });
    this.events.publish('completed', job);
    return job;
  }

  /** Completes and leases the worker's next jobs in one store step (one round trip per job for a busy worker). */
  async completeAndClaim(
    lease: Lease,
    result: unknown,
    next: { queue: string; workerId: string; limit: number },
    known?: Job,
  ): Promise<{ job: Job; next: ClaimedJob[] }> {
    // Spelled out, not spread: see asClaimed (domain/job.ts) for what spreads cost here.
    const outcome = await this.store.completeAndClaim({
      id: lease.id,
      token: lease.token,
      result,
      next: { queue: next.queue, workerId: next.workerId, limit: next.limit, leaseMs: this.leaseMs },
      known,
    });
    this.events.publish('completed', outcome.job);
    for (const job of outcome.next) this.events.publish('running', job);
    return outcome;
  }

  /**
   * `attempt` is the claimed job's attempt number; the lease token guarantees it is current.
   * `queue` (the job's) picks its queue's backoff; the server's when absent.
   */
  async fail(lease: Lease, error: JobError, attempt: number, queue?: string): Promise<Job> {
    const retry =
      queue === undefined ? this.retry : await this.policies.retryPolicy(queue).catch(() => this.retry);
    const job = await this.store.fail({ ...lease, error, retryDelayMs: backoffDelay(attempt, retry) });
    this.events.publish(statusEvent(job), job);
    return job;
  }

  async release(lease: Lease): Promise<Job> {
    const job = await this.store.release(lease);
    this.events.publish('released', job);
    this.events.publish('queued', job);
    return job;
  }

  async health(): Promise<{ ok: boolean; latencyMs: number | null; error?: string }> {
    try {
      return { ok: true, latencyMs: await this.store.ping() };
    } catch (error) {
      return { ok: false, latencyMs: null, error: (error as Error).message };
    }
  }
}

/** Follow-ups `job`'s chain may still add below it before one awaits confirmation; null = unlimited. */
function chainIterationsLeft(job: Job): number | null {
  if (job.iterationAllowance === null) return null;
  return Math.max(0, job.iterationAllowance - job.depth);
}
