/**
 * The worker registry: remote and pooled workers register, lease jobs by long-poll,
 * heartbeat and report outcomes through it. Every lease goes through `engine.claim`,
 * so every capacity rule (queue cap, per-user and per-project limits, fair order,
 * pause) holds for a remote worker exactly as for an in-process one, and every write
 * presents the lease token the claim issued.
 *
 * A worker's record (in the store) holds its state as last reported and `lastSeenAt`.
 * Readers derive `dead`: a record unseen for `deadAfterMs` (for `initializingTimeoutMs`
 * while it is initializing, since a cold start may be silent) is dead. Nothing here
 * touches a dead worker's jobs: their leases expire and the reaper requeues them.
 *
 * States as a worker reports them:
 *   initializing → ready → running ⇄ idle → draining → (deregistered)
 */
import { randomUUID } from 'node:crypto';
import { JobgateError } from '../domain/errors.js';
import type { ClaimedJob, Job, JobError, JobProgress } from '../domain/job.js';
import type { HeartbeatResult, WorkerRecord, WorkerState } from '../store/store.js';
import type { Engine, Lease } from './engine.js';
import { type LeaseRequest, leaseByLongPoll, PendingPolls } from './worker-lease-poll.js';

export interface WorkerRegistryConfig {
  engine: Engine;
  /** How often workers are told to heartbeat; default a third of the lease, at most 10 s. */
  heartbeatMs?: number;
  /** A worker unseen this long is shown dead; default the engine's lease length. */
  deadAfterMs?: number;
  /** The same for a worker still initializing (a cold start); default 60 s. */
  initializingTimeoutMs?: number;
  /** Records unseen this long are deleted when the registry is listed; default 10 min. */
  forgetAfterMs?: number;
  /** The longest a lease request waits for work; default 30 s. */
  maxWaitMs?: number;
  /** A waiting lease request claims again this often even without an event; default 1 s. */
  recheckMs?: number;
}

export const maxWaitMsDefault = 30_000;
export const initializingTimeoutMsDefault = 60_000;
export const forgetAfterMsDefault = 10 * 60_000;
export const recheckMsDefault = 1_000;
export const leaseBatchMax = 100;

export interface RegisterInput {
  /** A worker may choose its id (a pool names the processes it starts); else one is made. */
  id?: string;
  queues: string[];
  concurrency: number;
  labels?: Record<string, string>;
  version?: string | null;
  state?: 'initializing' | 'ready';
  /**
   * These labels stay on the record when the worker registers itself under this id later
   * (a pool's `pool`/`provider`, whatever language the worker is written in).
   */
  keepLabels?: boolean;
}

export interface Registration {
  worker: WorkerRecord;
  leaseMs: number;
  heartbeatMs: number;
  deadAfterMs: number;
  maxWaitMs: number;
}

export interface HeartbeatInput {
  leases: Lease[];
  /** Jobs it runs now; default the number of leases. */
  running?: number;
  /** Default: running when it runs a job, else idle. */
  state?: Exclude<WorkerState, 'dead'>;
}

export class WorkerRegistry {
  readonly engine: Engine;
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
  readonly initializingTimeoutMs: number;
  readonly forgetAfterMs: number;
  readonly maxWaitMs: number;
  readonly recheckMs: number;
  private readonly polls = new PendingPolls();
  /** Worker id → the id of the API key that registered it (see bindKey). */
  private readonly keyOf = new Map<string, string | null>();
  /** Labels a pool gave the ids it spawned, merged into those workers' own registrations. */
  private readonly keptLabels = new Map<string, Record<string, string>>();
  private closed = false;

  constructor(config: WorkerRegistryConfig) {
    this.engine = config.engine;
    const { leaseMs } = config.engine;
    this.heartbeatMs = config.heartbeatMs ?? Math.max(50, Math.min(10_000, Math.floor(leaseMs / 3)));
    this.deadAfterMs = config.deadAfterMs ?? Math.max(leaseMs, 2 * this.heartbeatMs);
    this.initializingTimeoutMs = config.initializingTimeoutMs ?? initializingTimeoutMsDefault;
    this.forgetAfterMs = config.forgetAfterMs ?? forgetAfterMsDefault;
    this.maxWaitMs = config.maxWaitMs ?? maxWaitMsDefault;
    this.recheckMs = config.recheckMs ?? recheckMsDefault;
    for (const [name, value] of Object.entries({
      heartbeatMs: this.heartbeatMs,
      deadAfterMs: this.deadAfterMs,
      initializingTimeoutMs: this.initializingTimeoutMs,
      forgetAfterMs: this.forgetAfterMs,
      recheckMs: this.recheckMs,
    })) {
      if (!(value > 0)) throw new Error(`WorkerRegistry.${name} must be above zero`);
    }
    if (!(this.maxWaitMs >= 0)) throw new Error('WorkerRegistry.maxWaitMs must not be negative');
    if (this.deadAfterMs <= this.heartbeatMs)
      throw new Error('WorkerRegistry.deadAfterMs must be above heartbeatMs');
  }

  /**
   * Binds a worker id to the API key that registered it: that key's calls alone may act
   * as the worker (admins may act for any). Kept by this server: on several servers
   * sharing a Redis, a worker's own key is checked where it registered, and everywhere
   * its writes are bound to its worker id and lease token by the store.
   */
  bindKey(workerId: string, keyId: string | null): void {
    const bound = this.keyOf.get(workerId);
    if (bound !== undefined && bound !== keyId)
      throw new JobgateError('JOBGATE_ERR_FORBIDDEN', `Worker ${workerId} was registered with another key`, {
        details: { workerId },
      });
    this.keyOf.set(workerId, keyId);
  }

  /** Throws unless `keyId` may act as `workerId` (see bindKey); an unknown worker id passes here. */
  checkKey(workerId: string, keyId: string | null): void {
    const bound = this.keyOf.get(workerId);
    if (bound !== undefined && bound !== keyId)
      throw new JobgateError('JOBGATE_ERR_WORKER_NOT_FOUND', `No worker ${workerId} of this key`, {
        details: { workerId },
      });
  }

  async register(input: RegisterInput): Promise<Registration> {
    if (this.closed) throw new JobgateError('JOBGATE_ERR_SHUTTING_DOWN');
    const queues = [...new Set(input.queues)];
    if (queues.length === 0) throw new JobgateError('JOBGATE_ERR_VALIDATION', 'queues must not be empty');
    const id = input.id ?? `wk_${randomUUID().replaceAll('-', '').slice(0, 20)}`;
    if (input.keepLabels) this.keptLabels.set(id, { ...input.labels });
    const worker = await this.engine.store.registerWorker({
      id,
      queues,
      concurrency: input.concurrency,
      labels: { ...input.labels, ...this.keptLabels.get(id) },
      version: input.version ?? null,
      state: input.state ?? 'ready',
      running: 0,
      startedAt: await this.engine.store.now(),
    });
    return {
      worker,
      leaseMs: this.engine.leaseMs,
      heartbeatMs: this.heartbeatMs,
      deadAfterMs: this.deadAfterMs,
      maxWaitMs: this.maxWaitMs,
    };
  }

  /**
   * Up to `max` jobs from the worker's queues, waiting up to `waitMs` for one. Answers
   * early with none when the worker drains, deregisters, the caller goes away
   * (`signal`) or the registry closes; jobs claimed for a caller that went away are
   * released at once.
   */
  async lease(workerId: string, request: LeaseRequest, signal?: AbortSignal): Promise<ClaimedJob[]> {
    const running = request.running ?? 0;
    const state = running > 0 ? 'running' : request.state === 'ready' ? 'ready' : 'idle';
    const record = await this.touch(workerId, state, running);
    if (this.closed) return [];
    return leaseByLongPoll({
      engine: this.engine,
      polls: this.polls,
      worker: record,
      max: Math.min(Math.max(1, request.max ?? 1), leaseBatchMax),
      waitMs: Math.min(Math.max(0, request.waitMs ?? this.maxWaitMs), this.maxWaitMs),
      recheckMs: this.recheckMs,
      isClosed: () => this.closed,
      signal,
      onClaimed: async (count) => {
        // The record follows at once, so a pool sees the worker busy before its next heartbeat.
        await this.engine.store.touchWorker({ id: workerId, state: 'running', running: running + count });
      },
    });
  }

  /** Extends the leases it names and refreshes the worker's record. */
  async heartbeat(workerId: string, input: HeartbeatInput): Promise<HeartbeatResult> {
    const running = input.running ?? input.leases.length;
    const state = input.state ?? (running > 0 ? 'running' : 'idle');
    await this.touch(workerId, state, running);
    if (state === 'draining') this.polls.cancel(workerId);
    if (input.leases.length === 0) return { extended: [], lost: [], cancel: [] };
    return this.engine.heartbeat(input.leases);
  }

  progress(lease: Lease, progress: JobProgress): Promise<Job> {
    return this.engine.progress(lease, progress);
  }

  complete(lease: Lease, result: unknown): Promise<Job> {
    return this.engine.complete(lease, result);
  }

  /** The retry delay follows the job's stored attempt count, not one the worker reports. */
  async fail(lease: Lease, error: JobError): Promise<Job> {
    const job = await this.engine.store.get(lease.id);
    return this.engine.fail(lease, error, job?.attempts ?? 1, job?.queue);
  }

  release(lease: Lease): Promise<Job> {
    return this.engine.release(lease);
  }

  /** Forgets a worker at once; idempotent. Its pending lease request answers with no jobs. */
  async deregister(workerId: string): Promise<void> {
    this.polls.cancel(workerId);
    this.keyOf.delete(workerId);
    this.keptLabels.delete(workerId);
    await this.engine.store.removeWorker(workerId);
  }

  /** Pool bookkeeping: a worker process that exited is shown dead until it is forgotten. */
  async markDead(workerId: string): Promise<void> {
    this.polls.cancel(workerId);
    this.keptLabels.delete(workerId);
    await this.engine.store.touchWorker({ id: workerId, state: 'dead', running: 0 });
  }

  /** Every known worker with its state derived (dead when silent too long), oldest first. */
  async list(filter: { queue?: string } = {}): Promise<WorkerRecord[]> {
    const [records, now] = await Promise.all([
      this.engine.store.listWorkers({ forgetAfterMs: this.forgetAfterMs }),
      this.engine.store.now(),
    ]);
    return records
      .filter((record) => filter.queue === undefined || record.queues.includes(filter.queue))
      .map((record) => ({ ...record, state: this.derivedState(record, now) }));
  }

  derivedState(record: WorkerRecord, now: number): WorkerState {
    if (record.state === 'dead') return 'dead';
    const silentFor = now - record.lastSeenAt;
    const limit = record.state === 'initializing' ? this.initializingTimeoutMs : this.deadAfterMs;
    return silentFor > limit ? 'dead' : record.state;
  }

  /** Pending lease requests answer with no jobs; new ones too. Call before the HTTP server closes. */
  close(): void {
    this.closed = true;
    this.polls.cancelAll();
  }

  private async touch(id: string, state: WorkerState, running: number): Promise<WorkerRecord> {
    const record = await this.engine.store.touchWorker({ id, state, running });
    if (!record)
      throw new JobgateError('JOBGATE_ERR_WORKER_NOT_FOUND', `No worker ${id}: register again`, {
        details: { workerId: id },
      });
    return record;
  }
}
