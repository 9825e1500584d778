/**
 * The embedded default backend: better-sqlite3 in WAL mode. Every contract method is
 * one `BEGIN IMMEDIATE` transaction, so several processes may share one file safely
 * (writers queue on SQLite's lock, bounded by busy_timeout).
 *
 * Invariants kept inside every transaction:
 * - `status_counts` equals COUNT(*) GROUP BY queue, status;
 * - `queues.running` equals the queue's running jobs, `owners.running` the running jobs
 *   of one (queue, owner), `projects.running` those of one (queue, owner, project):
 *   concurrency limits hold per queue;
 * - a (queue, owner, project) with queued jobs has exactly one `job_groups` row, whose
 *   head_key belongs to its head job and whose `ready` says whether its owner and
 *   project are below their limits in that queue (see domain/fair-share.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { JobgateError } from '../../domain/errors.js';
import { type FairnessSettings, fairnessDefault } from '../../domain/fair-share.js';
import { asClaimed, type ClaimedJob, type Job, type JobError, type JobProgress } from '../../domain/job.js';
import { JOB_STATUSES, type JobStatus } from '../../domain/job-states.js';
import { DAY_MS, dayIndex, dayStart } from '../../domain/quota-calendar.js';
import type {
  AdmitRequest,
  AdmitResult,
  ApiKeyRecord,
  CancelResult,
  ClaimRequest,
  DailyUsage,
  FinishedSample,
  HeartbeatResult,
  JobPage,
  JobStore,
  LeaseRef,
  ListFilter,
  PurgeRequest,
  QueueSettings,
  QueueState,
  StatusCounts,
  TokenRequest,
  TokenResult,
  WorkerRecord,
  WorkerState,
} from '../store.js';
import { admitThenClaim } from '../store.js';
import { storeFailure } from '../store-errors.js';
import { admitBatch } from './admission-batch.js';
import { SqliteArtifactMeta } from './artifact-meta.js';
import { CompletionBatch } from './completion-batch.js';
import { decodeCursor, encodeCursor, type JobRow, toJob } from './job-row.js';
import { type GroupRow, JobTables, type QueueRow } from './job-tables.js';
import { allKeys, insertKey, keyByPrefix, markRevoked, takeToken } from './key-table.js';
import { migrate } from './migrate.js';
import { SqliteQueuePolicies } from './queue-policy-table.js';
import { queuePosition } from './queue-position.js';
import { SqliteQueueRegistry } from './queue-registry-table.js';
import { SqliteSchedules } from './schedule-table.js';
import { cacheStatements } from './statement-cache.js';
import { SqliteWebhookStore } from './webhook-store.js';
import { listWorkers, registerWorker, touchWorker } from './worker-table.js';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  file: string;
  clock?: () => number;
  fairness?: FairnessSettings;
  busyTimeoutMs?: number;
}

export class SqliteStore implements JobStore {
  readonly name = 'sqlite';
  readonly capabilities = { sharedEvents: false, tenantScope: 'global' as const };
  private readonly db: Database.Database;
  private readonly clock: () => number;
  private readonly fairness: FairnessSettings;
  private readonly tables: JobTables;
  readonly schedules: SqliteSchedules;
  readonly webhooks: SqliteWebhookStore;
  readonly artifactMeta: SqliteArtifactMeta;
  readonly queueRegistry: SqliteQueueRegistry;
  /** Completions of one tick, committed together (see completion-batch.ts). */
  private readonly completions: CompletionBatch<
    LeaseRef & { result: unknown; next: ClaimRequest },
    { job: Job; next: ClaimedJob[] }
  >;
  readonly queuePolicies: SqliteQueuePolicies;

  constructor(options: SqliteStoreOptions) {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    // 64 MiB of page cache (the default is 2 MiB): a backlog of thousands of jobs and
    // their indexes stays in memory instead of being re-read through the WAL.
    this.db.pragma('cache_size = -65536');
    this.clock = options.clock ?? Date.now;
    this.fairness = options.fairness ?? fairnessDefault;
    migrate(this.db);
    cacheStatements(this.db);
    this.tables = new JobTables(this.db, this.clock, this.fairness);
    this.schedules = new SqliteSchedules(this.db, this.clock);
    this.webhooks = new SqliteWebhookStore(this.db, this.clock);
    this.artifactMeta = new SqliteArtifactMeta(this.db, this.clock);
    this.queueRegistry = new SqliteQueueRegistry(this.db, this.clock);
    this.completions = new CompletionBatch(this.db, (request) => ({
      job: this.completeInTx(request),
      next: this.claimInTx(request.next),
    }));
    this.queuePolicies = new SqliteQueuePolicies(this.db);
  }

  /** Runs `fn` as one write transaction (BEGIN IMMEDIATE avoids lock-upgrade deadlocks). */
  private tx<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.db.transaction(fn).immediate());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private read<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // ---- helpers that run inside a transaction ------------------------------------

  // ---- admission ------------------------------------------------------------------

  admit(requests: AdmitRequest[]): Promise<Array<AdmitResult | { kind: 'error'; error: Error }>> {
    return Promise.resolve(admitBatch(this.db, this.tables, requests));
  }

  admitAndClaim(
    requests: AdmitRequest[],
    claim: ClaimRequest,
  ): Promise<{ outcomes: Array<AdmitResult | { kind: 'error'; error: Error }>; claimed: ClaimedJob[] }> {
    // Both are local transactions: nothing to save by merging them.
    return admitThenClaim(this, requests, claim);
  }

  configureQueue(settings: QueueSettings): Promise<void> {
    return this.tx(() => {
      this.tables.queueRow(settings.queue);
      this.db
        .prepare('UPDATE queues SET max_workers = ?, max_queued = ? WHERE name = ?')
        .run(settings.maxWorkers, settings.maxQueued, settings.queue);
    });
  }

  setPaused({ queue, paused }: { queue: string; paused: boolean }): Promise<void> {
    return this.tx(() => {
      this.tables.queueRow(queue);
      this.db.prepare('UPDATE queues SET paused = ? WHERE name = ?').run(paused ? 1 : 0, queue);
    });
  }

  queueState(queue: string): Promise<QueueState> {
    return this.read(() => {
      const row = this.db.prepare<[string], QueueRow>('SELECT * FROM queues WHERE name = ?').get(queue);
      return {
        queue,
        maxWorkers: row?.max_workers ?? null,
        maxQueued: row?.max_queued ?? null,
        paused: row?.paused === 1,
      };
    });
  }

  clearQueue({ queue, limit }: { queue: string; limit: number }): Promise<Job[]> {
    return this.tx(() => {
      const rows = this.db
        .prepare<[string, number], JobRow>(
          `SELECT * FROM jobs WHERE queue = ? AND status IN ('queued', 'scheduled', 'awaiting_confirmation') LIMIT ?`,
        )
        .all(queue, limit);
      const remove = this.db.prepare('DELETE FROM jobs WHERE seq = ?');
      for (const row of rows) {
        remove.run(row.seq);
        this.tables.bumpCount(row.queue, row.status, -1);
      }
      this.db.prepare('DELETE FROM job_groups WHERE queue = ?').run(queue);
      // Groups are rebuilt from whatever queued jobs remain beyond `limit`.
      const left = this.db
        .prepare<[string], { owner: string; project: string }>(
          `SELECT DISTINCT owner, project FROM jobs WHERE queue = ? AND status = 'queued'`,
        )
        .all(queue);
      for (const group of left) this.tables.refileGroup(queue, group.owner, group.project);
      return rows.map(toJob);
    });
  }

  finishedSince({
    queue,
    since,
    limit,
  }: {
    queue: string;
    since: number;
    limit: number;
  }): Promise<FinishedSample[]> {
    return this.read(() =>
      this.db
        .prepare<
          [string, number, number],
          {
            status: FinishedSample['status'];
            created_at: number;
            started_at: number | null;
            finished_at: number;
          }
        >(
          `SELECT status, created_at, started_at, finished_at FROM jobs
           WHERE queue = ? AND finished_at >= ? AND status IN ('completed', 'failed', 'cancelled')
           ORDER BY finished_at DESC LIMIT ?`,
        )
        .all(queue, since, limit)
        .map((row) => ({
          status: row.status,
          createdAt: row.created_at,
          startedAt: row.started_at,
          finishedAt: row.finished_at,
        })),
    );
  }

  // ---- leasing --------------------------------------------------------------------

  claim(request: ClaimRequest): Promise<ClaimedJob[]> {
    return this.tx(() => this.claimInTx(request));
  }

  completeAndClaim(
    request: LeaseRef & { result: unknown; next: ClaimRequest },
  ): Promise<{ job: Job; next: ClaimedJob[] }> {
    return this.completions.run(request);
  }

  private claimInTx({ queue, workerId, limit, leaseMs }: ClaimRequest): ClaimedJob[] {
    const now = this.clock();
    const claimed: ClaimedJob[] = [];
    const q = this.tables.queueRow(queue);
    if (q.paused) return claimed;
    const capacity = q.max_workers === null ? limit : Math.min(limit, q.max_workers - q.running);
    const nextGroup = this.db.prepare<[string], GroupRow>(
      'SELECT * FROM job_groups WHERE queue = ? AND ready = 1 ORDER BY head_key, gid LIMIT 1',
    );
    const headJob = this.db.prepare<[string, string, string], JobRow>(
      `SELECT * FROM jobs WHERE queue = ? AND owner = ? AND project = ? AND status = 'queued'
         ORDER BY eff_priority, seq LIMIT 1`,
    );
    for (let i = 0; i < capacity; i++) {
      const group = nextGroup.get(queue);
      if (!group) break;
      const row = headJob.get(queue, group.owner, group.project);
      if (!row) {
        // Unreachable while the invariant holds; heal rather than spin.
        this.db.prepare('DELETE FROM job_groups WHERE gid = ?').run(group.gid);
        continue;
      }
      const token = randomUUID();
      this.db
        .prepare(
          `UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = ?, worker_id = ?,
               lease_token = ?, lease_expires_at = ?, cancel_requested = 0, error = NULL WHERE seq = ?`,
        )
        .run(now, workerId, token, now + leaseMs, row.seq);
      this.tables.moved(queue, 'queued', 'running');
      this.db
        .prepare('UPDATE queues SET running = running + 1, vtime = MAX(vtime, ?) WHERE name = ?')
        .run(group.vstart + 1, queue);
      const full = this.tables.takeSlot(queue, row.owner, row.project);
      // One turn on: the group goes behind every other group of its priority. At a limit in
      // this queue it is parked; at the owner's limit so are the owner's other groups here.
      this.db.prepare('UPDATE job_groups SET vstart = vstart + 1 WHERE gid = ?').run(group.gid);
      this.tables.refileGroup(queue, row.owner, row.project, !full.ownerFull && !full.projectFull);
      this.tables.parkAtLimit(queue, row.owner, row.project, full);
      claimed.push(asClaimed(this.tables.job(row.id), token));
    }
    return claimed;
  }

  heartbeat({ leases, leaseMs }: { leases: LeaseRef[]; leaseMs: number }): Promise<HeartbeatResult> {
    return this.tx(() => {
      const now = this.clock();
      const result: HeartbeatResult = { extended: [], lost: [], cancel: [] };
      const extend = this.db.prepare(
        `UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND status = 'running' AND lease_token = ?
         RETURNING cancel_requested`,
      );
      for (const lease of leases) {
        const row = extend.get(now + leaseMs, lease.id, lease.token) as
          | { cancel_requested: number }
          | undefined;
        if (!row) {
          result.lost.push(lease.id);
          continue;
        }
        result.extended.push(lease.id);
        if (row.cancel_requested === 1) result.cancel.push(lease.id);
      }
      return result;
    });
  }

  progress(request: LeaseRef & { progress: JobProgress }): Promise<Job> {
    return this.tx(() => {
      const row = this.tables.holdsLease(request, 'progress');
      this.db
        .prepare(
          'UPDATE jobs SET progress_percent = ?, progress_stage = ?, progress_message = ? WHERE seq = ?',
        )
        .run(request.progress.percent, request.progress.stage, request.progress.message, row.seq);
      return this.tables.job(row.id);
    });
  }

  complete(request: LeaseRef & { result: unknown }): Promise<Job> {
    return this.tx(() => this.completeInTx(request));
  }

  private completeInTx(request: LeaseRef & { result: unknown }): Job {
    const row = this.tables.holdsLease(request, 'complete');
    this.tables.finish(row, 'completed', {
      result: request.result === undefined ? null : JSON.stringify(request.result),
      progress: 100,
    });
    return this.tables.job(row.id);
  }

  fail(request: LeaseRef & { error: JobError; retryDelayMs: number | null }): Promise<Job> {
    return this.tx(() => {
      const row = this.tables.holdsLease(request, 'fail');
      const retry =
        request.retryDelayMs !== null &&
        request.error.retryable &&
        row.attempts < row.max_attempts &&
        row.cancel_requested === 0;
      if (retry) {
        this.tables.releaseLease(row, 'failed', JSON.stringify(request.error));
        this.db
          .prepare(`UPDATE jobs SET status = 'scheduled', run_at = ?, error = ? WHERE seq = ?`)
          .run(this.clock() + (request.retryDelayMs ?? 0), JSON.stringify(request.error), row.seq);
        this.tables.moved(row.queue, 'running', 'scheduled');
      } else {
        // A job that ends here will not be tried again: its error says so, whatever the worker sent.
        const error = JSON.stringify({ ...request.error, retryable: false });
        this.tables.finish(row, row.cancel_requested === 1 ? 'cancelled' : 'failed', { error });
      }
      return this.tables.job(row.id);
    });
  }

  release(request: LeaseRef): Promise<Job> {
    return this.tx(() => {
      const row = this.tables.holdsLease(request, 'release');
      this.tables.releaseLease(row, 'released');
      this.db
        .prepare('UPDATE jobs SET attempts = MAX(attempts - 1, 0), started_at = NULL WHERE seq = ?')
        .run(row.seq);
      this.tables.enqueue(row, 'running');
      return this.tables.job(row.id);
    });
  }

  /** Clears a running row's lease and frees its slots; the caller sets the next status. */
  // ---- operator actions -----------------------------------------------------------

  cancel({ id, owner }: { id: string; owner?: string }): Promise<CancelResult> {
    return this.tx(() => {
      const row = this.tables.ownedRow(id, owner);
      if (row.status === 'running') {
        this.db.prepare('UPDATE jobs SET cancel_requested = 1 WHERE seq = ?').run(row.seq);
        return { job: this.tables.job(id), outcome: 'requested' as const };
      }
      if (row.status === 'queued' || row.status === 'scheduled' || row.status === 'awaiting_confirmation') {
        this.tables.finish(row, 'cancelled', {});
        return { job: this.tables.job(id), outcome: 'cancelled' as const };
      }
      throw storeFailure('illegal', { id, status: row.status, op: 'cancel' });
    });
  }

  retry({ id, owner }: { id: string; owner?: string }): Promise<Job> {
    return this.tx(() => {
      const row = this.tables.ownedRow(id, owner);
      if (row.status !== 'failed' && row.status !== 'cancelled') {
        throw storeFailure('illegal', { id, status: row.status, op: 'retry' });
      }
      // A manual retry grants a fresh attempt budget, as Sidekiq's "retry now" does.
      this.db
        .prepare(
          `UPDATE jobs SET attempts = 0, finished_at = NULL, started_at = NULL, result = NULL, cancel_requested = 0,
             progress_percent = 0, progress_stage = NULL, progress_message = NULL, run_at = ? WHERE seq = ?`,
        )
        .run(this.clock(), row.seq);
      this.tables.enqueue(row, row.status);
      return this.tables.job(id);
    });
  }

  promote({ id, owner }: { id: string; owner?: string }): Promise<Job> {
    return this.tx(() => {
      const row = this.tables.ownedRow(id, owner);
      if (row.status !== 'scheduled')
        throw storeFailure('illegal', { id, status: row.status, op: 'promote' });
      this.db.prepare('UPDATE jobs SET run_at = ? WHERE seq = ?').run(this.clock(), row.seq);
      this.tables.enqueue(row, 'scheduled');
      return this.tables.job(id);
    });
  }

  deleteJob({ id, owner }: { id: string; owner?: string }): Promise<Job> {
    return this.tx(() => {
      const row = this.tables.ownedRow(id, owner);
      if (row.status !== 'completed' && row.status !== 'failed' && row.status !== 'cancelled')
        throw storeFailure('illegal', { id, status: row.status, op: 'delete' });
      const job = this.tables.job(id);
      this.db.prepare('DELETE FROM jobs WHERE seq = ?').run(row.seq);
      this.tables.bumpCount(row.queue, row.status, -1);
      return job;
    });
  }

  confirm({ id, owner, grant }: { id: string; owner?: string; grant: number }): Promise<Job> {
    return this.tx(() => {
      const row = this.tables.ownedRow(id, owner);
      if (row.status !== 'awaiting_confirmation')
        throw storeFailure('illegal', { id, status: row.status, op: 'confirm' });
      const rootId = row.root_id ?? row.id;
      // Grant enough for this job's depth even when several batches were skipped.
      const needed = Math.max(grant, row.depth - (row.iteration_allowance ?? row.depth));
      this.db
        .prepare('UPDATE jobs SET granted_iterations = granted_iterations + ? WHERE id = ?')
        .run(needed, rootId);
      this.db
        .prepare(
          'UPDATE jobs SET iteration_allowance = iteration_allowance + ? WHERE seq = ? AND iteration_allowance IS NOT NULL',
        )
        .run(needed, row.seq);
      this.tables.enqueue(row, 'awaiting_confirmation');
      return this.tables.job(id);
    });
  }

  // ---- background maintenance -----------------------------------------------------

  promoteDue({ limit }: { limit: number }): Promise<Job[]> {
    return this.tx(() => {
      const rows = this.db
        .prepare<[number, number], JobRow>(
          `SELECT * FROM jobs WHERE status = 'scheduled' AND run_at <= ? ORDER BY run_at LIMIT ?`,
        )
        .all(this.clock(), limit);
      for (const row of rows) this.tables.enqueue(row, 'scheduled');
      return rows.map((row) => this.tables.job(row.id));
    });
  }

  reapExpired({ limit }: { limit: number }): Promise<Job[]> {
    return this.tx(() => {
      const rows = this.db
        .prepare<[number, number], JobRow>(
          `SELECT * FROM jobs WHERE status = 'running' AND lease_expires_at < ? ORDER BY lease_expires_at LIMIT ?`,
        )
        .all(this.clock(), limit);
      for (const row of rows) {
        if (row.cancel_requested === 1) {
          this.tables.finish(row, 'cancelled', {});
        } else if (row.attempts >= row.max_attempts) {
          const error: JobError = {
            message: 'Lease expired: the worker stopped heartbeating',
            retryable: false,
          };
          this.tables.finish(row, 'failed', { error: JSON.stringify(error), outcome: 'lease_lost' });
        } else {
          this.tables.releaseLease(row, 'lease_lost');
          this.tables.enqueue(row, 'running');
        }
      }
      return rows.map((row) => this.tables.job(row.id));
    });
  }

  purge({ completedBefore, failedBefore, limit }: PurgeRequest): Promise<number> {
    return this.tx(() => {
      const rows = this.db
        .prepare<[number, number, number], { seq: number; queue: string; status: JobStatus }>(
          `SELECT seq, queue, status FROM jobs WHERE finished_at IS NOT NULL AND (
             (status = 'completed' AND finished_at < ?) OR (status IN ('failed', 'cancelled') AND finished_at < ?))
           LIMIT ?`,
        )
        .all(completedBefore, failedBefore, limit);
      const remove = this.db.prepare('DELETE FROM jobs WHERE seq = ?');
      for (const row of rows) {
        remove.run(row.seq);
        this.tables.bumpCount(row.queue, row.status, -1);
      }
      this.db.prepare('DELETE FROM idempotency WHERE expires_at < ?').run(this.clock());
      return rows.length;
    });
  }

  // ---- reads ----------------------------------------------------------------------

  get(id: string, owner?: string): Promise<Job | null> {
    return this.read(() => {
      const row = this.tables.row(id);
      if (!row || (owner !== undefined && row.owner !== owner)) return null;
      return toJob(row);
    });
  }

  list(filter: ListFilter): Promise<JobPage> {
    return this.read(() => {
      const where: string[] = [];
      const params: Record<string, unknown> = { limit: filter.limit + 1 };
      for (const field of ['status', 'queue', 'type', 'owner'] as const) {
        const value = filter[field];
        if (value === undefined) continue;
        where.push(`${field} = @${field}`);
        params[field] = value;
      }
      if (filter.idPrefix !== undefined) {
        // A range on the primary key: ids are ASCII, so every one with the prefix sorts
        // below the prefix followed by U+FFFF.
        where.push('id >= @idFrom AND id < @idTo');
        params.idFrom = filter.idPrefix;
        params.idTo = `${filter.idPrefix}\uffff`;
      }
      if (filter.cursor) {
        const seq = decodeCursor(filter.cursor);
        if (seq === null)
          throw new JobgateError('JOBGATE_ERR_BAD_REQUEST', 'The cursor is not one this server issued');
        where.push('seq < @cursor');
        params.cursor = seq;
      }
      const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`;
      const rows = this.db.prepare<Record<string, unknown>, JobRow>(sql).all(params);
      const more = rows.length > filter.limit;
      const page = more ? rows.slice(0, filter.limit) : rows;
      const last = page.at(-1);
      return { items: page.map(toJob), nextCursor: more && last ? encodeCursor(last.seq) : null };
    });
  }

  oldestQueuedAt(queue: string): Promise<number | null> {
    return this.read(() => {
      const row = this.db
        .prepare<[string], { run_at: number | null }>(
          "SELECT MIN(run_at) AS run_at FROM jobs WHERE queue = ? AND status = 'queued'",
        )
        .get(queue);
      return row?.run_at ?? null;
    });
  }

  counts(queue?: string): Promise<StatusCounts> {
    return this.read(() => {
      const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as StatusCounts;
      const rows =
        queue === undefined
          ? this.db
              .prepare<[], { status: JobStatus; n: number }>(
                'SELECT status, SUM(n) AS n FROM status_counts GROUP BY status',
              )
              .all()
          : this.db
              .prepare<[string], { status: JobStatus; n: number }>(
                'SELECT status, n FROM status_counts WHERE queue = ?',
              )
              .all(queue);
      for (const row of rows) counts[row.status] = row.n;
      return counts;
    });
  }

  queues(): Promise<string[]> {
    return this.read(() =>
      this.db
        .prepare<[], { name: string }>(
          'SELECT name FROM queues UNION SELECT DISTINCT queue AS name FROM status_counts WHERE n > 0 ORDER BY name',
        )
        .all()
        .map((row) => row.name),
    );
  }

  usage({ owner, resetOffsetMs }: { owner: string; resetOffsetMs: number }): Promise<DailyUsage> {
    return this.read(() => {
      const day = dayIndex(this.clock(), resetOffsetMs);
      const row = this.db
        .prepare<[string, number], { jobs: number; iterations: number }>(
          'SELECT jobs, iterations FROM daily_usage WHERE owner = ? AND day = ?',
        )
        .get(owner, day);
      return {
        day,
        jobsUsed: row?.jobs ?? 0,
        iterationsUsed: row?.iterations ?? 0,
        resetsAt: dayStart(day, resetOffsetMs) + DAY_MS,
      };
    });
  }

  position(id: string): Promise<number | null> {
    return this.read(() => queuePosition(this.db, id, this.fairness));
  }

  createKey(record: ApiKeyRecord): Promise<void> {
    return this.tx(() => insertKey(this.db, record));
  }

  findKey(prefix: string): Promise<ApiKeyRecord | null> {
    return this.read(() => keyByPrefix(this.db, prefix));
  }

  listKeys(): Promise<ApiKeyRecord[]> {
    return this.read(() => allKeys(this.db));
  }

  revokeKey(id: string): Promise<boolean> {
    return this.tx(() => markRevoked(this.db, id, this.clock()));
  }

  takeToken(request: TokenRequest): Promise<TokenResult> {
    return this.tx(() => takeToken(this.db, request, this.clock()));
  }

  registerWorker(record: Omit<WorkerRecord, 'lastSeenAt'>): Promise<WorkerRecord> {
    return this.tx(() => registerWorker(this.db, record, this.clock()));
  }

  touchWorker(request: { id: string; state: WorkerState; running: number }): Promise<WorkerRecord | null> {
    return this.tx(() => touchWorker(this.db, request, this.clock()));
  }

  removeWorker(id: string): Promise<boolean> {
    return this.tx(() => this.db.prepare('DELETE FROM workers WHERE id = ?').run(id).changes > 0);
  }

  listWorkers({ forgetAfterMs }: { forgetAfterMs: number }): Promise<WorkerRecord[]> {
    return this.tx(() => listWorkers(this.db, this.clock() - forgetAfterMs));
  }

  ping(): Promise<number> {
    return this.read(() => {
      const start = performance.now();
      this.db.prepare('SELECT 1').get();
      return performance.now() - start;
    });
  }

  now(): Promise<number> {
    return Promise.resolve(this.clock());
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }
}
