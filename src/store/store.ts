/**
 * The store contract, written in queue terms. Each method is ONE atomic operation:
 * one SQLite transaction, one Redis Lua script. Nothing here exposes a generic
 * transaction, so any backend can implement it without distributed locks.
 *
 * Clocks: a backend reads its own clock (Redis `TIME`, the SQLite store's injected
 * clock), never the caller's, so that leases are judged by one clock for all hosts.
 *
 * Failures that a caller can act on are thrown as `JobgateError` with a registry code
 * (see domain/errors.ts and ./store-errors.ts), identical across backends.
 */
import type { ClaimedJob, Job, JobError, JobProgress } from '../domain/job.js';
import type { JobStatus } from '../domain/job-states.js';
import type { ArtifactMetaStore } from './artifact-meta.js';
import type { QueuePolicyStore } from './queue-policy-store.js';
import type { QueueRegistryStore } from './queue-registry.js';
import type { ScheduleStore } from './schedule-store.js';
import type { WebhookStore } from './webhook-store.js';

export interface NewJob {
  id: string;
  queue: string;
  type: string;
  payload: unknown;
  priority: number;
  maxAttempts: number;
  timeoutMs: number | null;
  /** Absolute epoch ms; null or past = run as soon as possible. */
  runAt: number | null;
  /** Relative delay, resolved against the store's clock. Ignored when runAt is set. */
  delayMs: number | null;
  owner: string;
  projectId: string | null;
  parentId: string | null;
}

/** What the owner's tier allows, resolved by the engine and applied atomically by the store. */
export interface OwnerLimits {
  priorityBoost: number;
  /**
   * Running jobs of the owner in one queue (or across queues: limitScope); null =
   * unlimited. Per queue by default: each queue is its own worker pool, and a claim stays
   * within its queue's keys (one Redis Cluster slot).
   */
  maxConcurrentPerUser: number | null;
  /** Running jobs of one (queue, owner, project); null = unlimited. */
  maxConcurrentPerProject: number | null;
  /**
   * What the two limits above count: `queue` (default), each queue on its own; `tenant`,
   * the owner's (and project's) running jobs across every queue — exact on SQLite and on
   * one Redis, per hash slot on Redis Cluster (capabilities.tenantScope, docs/SCALING.md).
   */
  limitScope?: 'queue' | 'tenant';
  dailyJobs: number | null;
  iterationDepth: number | null;
  iterationBatch: number;
}

export const unlimitedOwner: OwnerLimits = {
  priorityBoost: 0,
  maxConcurrentPerUser: null,
  maxConcurrentPerProject: null,
  dailyJobs: null,
  iterationDepth: null,
  iterationBatch: 0,
};

export interface QuotaCalendar {
  /** Offset of the daily reset from UTC midnight, in ms. */
  resetOffsetMs: number;
  /** Random delay after the reset for a deferred job, drawn by the caller. */
  jitterMs: number;
}

export interface AdmitRequest {
  job: NewJob;
  limits: OwnerLimits;
  calendar: QuotaCalendar;
  idempotency: { key: string; fingerprint: string; ttlMs: number } | null;
  /** Ask for the AdmitView too (a single submit shows it); a store may ignore this. */
  view?: boolean;
}

/**
 * What a submit's answer shows next — the job's place, the queue's running count, the
 * owner's usage today — read in the admission's own step by a store that can (saves
 * three reads after it). Absent: the caller reads them itself.
 */
export interface AdmitView {
  /** null when the job is not queued. */
  position: number | null;
  running: number;
  usage: DailyUsage;
}

export type AdmitResult =
  | { kind: 'created'; job: Job; deferredByQuota: boolean; view?: AdmitView }
  | { kind: 'duplicate'; job: Job; view?: AdmitView };

export interface QueueSettings {
  queue: string;
  /** null = no cap. */
  maxWorkers: number | null;
  maxQueued: number | null;
}

export interface QueueState {
  queue: string;
  maxWorkers: number | null;
  maxQueued: number | null;
  paused: boolean;
}

/** Timing of one finished job, for statistics. */
export interface FinishedSample {
  status: 'completed' | 'failed' | 'cancelled';
  createdAt: number;
  startedAt: number | null;
  finishedAt: number;
}

export interface ClaimRequest {
  queue: string;
  workerId: string;
  limit: number;
  leaseMs: number;
}

export interface LeaseRef {
  id: string;
  token: string;
  /**
   * The worker presenting the lease. When given, a lease claimed by another worker id
   * answers lease_lost too, checked in the same atomic step as the token: a lease is
   * bound to the worker that claimed it (progress, complete, fail, release).
   */
  workerId?: string;
}

export interface HeartbeatResult {
  /** Leases extended. */
  extended: string[];
  /** Leases this worker no longer holds: stop working on them. */
  lost: string[];
  /** Held leases whose job was asked to cancel. */
  cancel: string[];
}

export interface ListFilter {
  status?: JobStatus;
  queue?: string;
  type?: string;
  owner?: string;
  /** Jobs whose id starts with this (the short id a list shows). */
  idPrefix?: string;
  limit: number;
  cursor?: string;
}

export interface JobPage {
  items: Job[];
  nextCursor: string | null;
}

export type StatusCounts = Record<JobStatus, number>;

export interface PurgeRequest {
  completedBefore: number;
  failedBefore: number;
  limit: number;
}

export interface DailyUsage {
  day: number;
  jobsUsed: number;
  iterationsUsed: number;
  /** Epoch ms of the next reset. */
  resetsAt: number;
}

export interface CancelResult {
  job: Job;
  /** `cancelled` at once, or `requested` for a running job (the worker is told). */
  outcome: 'cancelled' | 'requested';
}

export interface ApiKeyRecord {
  id: string;
  /** Public part of the key, used to find the row; the secret is never stored. */
  prefix: string;
  /** SHA-256 (hex) of the whole key. */
  hash: string;
  owner: string;
  role: 'admin' | 'tenant' | 'worker';
  tier: string;
  name: string | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface TokenRequest {
  key: string;
  /** Bucket size (burst). */
  capacity: number;
  /** Milliseconds to refill one token. */
  refillMs: number;
}

export interface TokenResult {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Until the next token when refused; until the bucket is full when allowed. */
  resetMs: number;
}

export const WORKER_STATES = ['initializing', 'ready', 'idle', 'running', 'draining', 'dead'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

/** A worker process (in-process, spawned or remote) as the registry knows it. */
export interface WorkerRecord {
  id: string;
  queues: string[];
  concurrency: number;
  labels: Record<string, string>;
  version: string | null;
  /** As last reported; `dead` is derived by readers from `lastSeenAt`. */
  state: WorkerState;
  /** Jobs it runs now, as last reported. */
  running: number;
  startedAt: number;
  lastSeenAt: number;
}

/** A transition as it travels between servers (the engine's JobEvent, serialised). */
export interface StoreEvent {
  kind: string;
  job: Job;
  at: number;
  /** The publishing server, so it can tell its own events from others'. */
  origin?: string;
}

export interface StoreCapabilities {
  /** Events published by the store reach every server (Redis pub/sub); else the engine emits locally. */
  sharedEvents: boolean;
  /**
   * How far a `limitScope: 'tenant'` limit reaches: `global`, every queue; `slot`, the
   * queues of one Redis Cluster hash slot (queue shard), each slot counting on its own.
   * Absent: global.
   */
  tenantScope?: 'global' | 'slot';
}

export interface JobStore {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  /** Cron schedules: their own small contract (schedule-store.ts). */
  readonly schedules: ScheduleStore;
  /** Webhook subscriptions and deliveries (./webhook-store.ts), in the same backend. */
  readonly webhooks: WebhookStore;
  /** The artifacts jobs made (their metadata; the bytes are in the blob store). */
  readonly artifactMeta: ArtifactMetaStore;
  /** Queues made by submits, capped and retired (queue-registry.ts). */
  readonly queueRegistry: QueueRegistryStore;
  /** Per-queue job defaults and backoff: their own small contract (queue-policy-store.ts). */
  readonly queuePolicies: QueuePolicyStore;

  /**
   * A fresh job id for `queue`. Optional: a store that routes by id (Redis puts the queue's
   * shard in it) issues its own; otherwise the engine uses a random UUID.
   */
  newJobId?(queue: string): string;
  /** Creates each job atomically per item; an item's failure does not affect the others. */
  admit(requests: AdmitRequest[]): Promise<Array<AdmitResult | { kind: 'error'; error: Error }>>;
  /**
   * admit, then claim for an idle worker (`claim`): what the worker would lease right
   * after the admission, leased with it. A store may do both in one step (Redis: one
   * call, and a job the claim would take is leased as it is created); the outcome is the
   * same as admit followed by claim. `outcomes` report jobs as admitted, an item's error
   * in its outcome as admit does; `claimed` holds every lease, the new jobs' among them,
   * and is empty when the claim failed (which never fails the admissions).
   */
  admitAndClaim(
    requests: AdmitRequest[],
    claim: ClaimRequest,
  ): Promise<{ outcomes: Array<AdmitResult | { kind: 'error'; error: Error }>; claimed: ClaimedJob[] }>;
  configureQueue(settings: QueueSettings): Promise<void>;
  /** A paused queue keeps admitting jobs but hands none out. */
  setPaused(request: { queue: string; paused: boolean }): Promise<void>;
  queueState(queue: string): Promise<QueueState>;
  /** Deletes the queue's queued, scheduled and awaiting-confirmation jobs; returns them as they were. */
  clearQueue(request: { queue: string; limit: number }): Promise<Job[]>;
  /** Finished jobs of a queue since `since` (newest first, at most `limit`), for statistics. */
  finishedSince(request: { queue: string; since: number; limit: number }): Promise<FinishedSample[]>;
  /** Leases up to `limit` jobs by fair order, honouring every concurrency limit. */
  claim(request: ClaimRequest): Promise<ClaimedJob[]>;
  heartbeat(request: { leases: LeaseRef[]; leaseMs: number }): Promise<HeartbeatResult>;
  progress(request: LeaseRef & { progress: JobProgress }): Promise<Job>;
  complete(request: LeaseRef & { result: unknown }): Promise<Job>;
  /**
   * complete, then claim for the same worker, in one atomic step: a busy worker's loop
   * costs one round trip per job. `known` is the job as its worker claimed it: a store
   * may then read back only what the run and the completion changed.
   */
  completeAndClaim(
    request: LeaseRef & { result: unknown; next: ClaimRequest; known?: Job },
  ): Promise<{ job: Job; next: ClaimedJob[] }>;
  /**
   * retryDelayMs null = do not retry; else retried when attempts remain and error.retryable.
   * A job that ends (failed, or cancelled when asked) keeps the error with retryable false.
   */
  fail(request: LeaseRef & { error: JobError; retryDelayMs: number | null }): Promise<Job>;
  /** Gives a lease back (graceful shutdown): job → queued, the attempt is not counted. */
  release(request: LeaseRef): Promise<Job>;
  cancel(request: { id: string; owner?: string }): Promise<CancelResult>;
  retry(request: { id: string; owner?: string }): Promise<Job>;
  confirm(request: { id: string; owner?: string; grant: number }): Promise<Job>;
  /** A scheduled job is queued now (its run time becomes now); illegal for any other status. */
  promote(request: { id: string; owner?: string }): Promise<Job>;
  /** Deletes a finished (completed, failed, cancelled) job; returns it as it was. */
  deleteJob(request: { id: string; owner?: string }): Promise<Job>;
  promoteDue(request: { limit: number }): Promise<Job[]>;
  /** Expired leases → queued (or failed when attempts are spent). Safe to run concurrently. */
  reapExpired(request: { limit: number }): Promise<Job[]>;
  purge(request: PurgeRequest): Promise<number>;

  get(id: string, owner?: string): Promise<Job | null>;
  list(filter: ListFilter): Promise<JobPage>;
  counts(queue?: string): Promise<StatusCounts>;
  /**
   * When the queue's oldest queued job became due (its runAt, epoch ms); null with none
   * queued. For the oldest-queued-age metric. SQLite reads every queued job's runAt
   * (one indexed range); Redis the earliest among each fair-queue group's head, which is
   * the same unless a group holds jobs of several priorities.
   */
  oldestQueuedAt(queue: string): Promise<number | null>;
  queues(): Promise<string[]>;
  usage(request: { owner: string; resetOffsetMs: number }): Promise<DailyUsage>;
  /** 1-based place in the claim order of a queued job (an estimate under fair dispatch); null if not queued. */
  position(id: string): Promise<number | null>;

  createKey(record: ApiKeyRecord): Promise<void>;
  findKey(prefix: string): Promise<ApiKeyRecord | null>;
  listKeys(): Promise<ApiKeyRecord[]>;
  /** Returns false when no such key exists. */
  revokeKey(id: string): Promise<boolean>;
  /** Takes one token from a bucket, refilling it by elapsed time first (store clock). */
  takeToken(request: TokenRequest): Promise<TokenResult>;

  /** Creates or replaces a worker's record; lastSeenAt is the store's now. */
  registerWorker(record: Omit<WorkerRecord, 'lastSeenAt'>): Promise<WorkerRecord>;
  /** Updates state and running count and refreshes lastSeenAt; null when the worker is unknown. */
  touchWorker(request: { id: string; state: WorkerState; running: number }): Promise<WorkerRecord | null>;
  removeWorker(id: string): Promise<boolean>;
  /** Every registered worker; records unseen for `forgetAfterMs` are deleted first. */
  listWorkers(request: { forgetAfterMs: number }): Promise<WorkerRecord[]>;

  /** With `capabilities.sharedEvents`: publish to every server on this store. */
  publishEvent?(event: StoreEvent): Promise<void>;
  /** With `capabilities.sharedEvents`: every event any server published, this one's included. */
  subscribeEvents?(listener: (event: StoreEvent) => void): Promise<() => Promise<void>>;

  /** Round trip to the backend; throws when it is unreachable. */
  ping(): Promise<number>;
  now(): Promise<number>;
  close(): Promise<void>;
}

export const listLimitMax = 500;

/**
 * A claim made right after an admission (admitAndClaim's second step, where a store does
 * not make the two one step): one that fails leaves the worker to claim for itself; the
 * admissions stand.
 */
export function claimAfterAdmission(
  store: Pick<JobStore, 'claim'>,
  claim: ClaimRequest,
): Promise<ClaimedJob[]> {
  return store.claim(claim).catch(() => []);
}

/** admitAndClaim as two steps: admit, then claimAfterAdmission. */
export async function admitThenClaim(
  store: Pick<JobStore, 'admit' | 'claim'>,
  requests: AdmitRequest[],
  claim: ClaimRequest,
): Promise<{ outcomes: Array<AdmitResult | { kind: 'error'; error: Error }>; claimed: ClaimedJob[] }> {
  const outcomes = await store.admit(requests);
  return { outcomes, claimed: await claimAfterAdmission(store, claim) };
}
