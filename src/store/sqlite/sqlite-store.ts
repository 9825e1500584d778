/**
 * The embedded default backend: better-sqlite3 in WAL mode. Every contract method is
 * one `BEGIN IMMEDIATE` transaction, so several processes may share one file safely
 * (writers queue on SQLite's lock, bounded by busy_timeout).
 *
 * Invariants kept inside every transaction:
 * - `status_counts` equals COUNT(*) GROUP BY queue, status;
 * - `queues.running`, `owners.running`, `projects.running` equal the running jobs;
 * - a (queue, owner, project) with queued jobs has exactly one `job_groups` row, whose
 *   head_key belongs to its head job and whose `ready` says whether its owner and
 *   project are below their limits (see domain/fair-share.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { JobgateError } from '../../domain/errors.js';
import {
  effectivePriority,
  enteringVstart,
  type FairnessSettings,
  fairnessDefault,
  headKey,
} from '../../domain/fair-share.js';
import type { ClaimedJob, Job, JobError, JobProgress } from '../../domain/job.js';
import { JOB_STATUSES, type JobStatus, WAITING_STATUSES } from '../../domain/job-states.js';
import { DAY_MS, dayIndex, dayStart, quotaHorizonDays } from '../../domain/quota-calendar.js';
import type {
  AdmitRequest,
  AdmitResult,
  ApiKeyRecord,
  CancelResult,
  ClaimRequest,
  DailyUsage,
  HeartbeatResult,
  JobPage,
  JobStore,
  LeaseRef,
  ListFilter,
  PurgeRequest,
  QueueSettings,
  StatusCounts,
  TokenRequest,
  TokenResult,
} from '../store.js';
import { storeFailure } from '../store-errors.js';
import { decodeCursor, encodeCursor, type JobRow, toJob } from './job-row.js';
import { allKeys, insertKey, keyByPrefix, markRevoked, takeToken } from './key-table.js';
import { migrate } from './migrate.js';
import { queuePosition } from './queue-position.js';

export interface SqliteStoreOptions {
  /** A file path, or ':memory:'. */
  file: string;
  clock?: () => number;
  fairness?: FairnessSettings;
  busyTimeoutMs?: number;
}

interface QueueRow {
  name: string;
  max_workers: number | null;
  max_queued: number | null;
  paused: number;
  vtime: number;
  running: number;
}

interface GroupRow {
  gid: number;
  queue: string;
  owner: string;
  project: string;
  vstart: number;
  head_key: number;
  ready: number;
}

interface OwnerRow {
  owner: string;
  running: number;
  max_running: number | null;
  max_per_project: number | null;
  boost: number;
}

export class SqliteStore implements JobStore {
  readonly name = 'sqlite';
  readonly capabilities = { sharedEvents: false };
  private readonly db: Database.Database;
  private readonly clock: () => number;
  private readonly fairness: FairnessSettings;

  constructor(options: SqliteStoreOptions) {
    if (options.file !== ':memory:') mkdirSync(dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.clock = options.clock ?? Date.now;
    this.fairness = options.fairness ?? fairnessDefault;
    migrate(this.db);
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

  private row(id: string): JobRow | undefined {
    return this.db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?').get(id);
  }

  private job(id: string): Job {
    const row = this.row(id);
    if (!row) throw storeFailure('not_found', { id });
    return toJob(row);
  }

  private queueRow(queue: string): QueueRow {
    this.db.prepare('INSERT OR IGNORE INTO queues (name) VALUES (?)').run(queue);
    return this.db.prepare<[string], QueueRow>('SELECT * FROM queues WHERE name = ?').get(queue)!;
  }

  private ownerRow(owner: string): OwnerRow {
    this.db.prepare('INSERT OR IGNORE INTO owners (owner) VALUES (?)').run(owner);
    return this.db.prepare<[string], OwnerRow>('SELECT * FROM owners WHERE owner = ?').get(owner)!;
  }

  private projectRunning(owner: string, project: string): number {
    const row = this.db
      .prepare<[string, string], { running: number }>(
        'SELECT running FROM projects WHERE owner = ? AND project = ?',
      )
      .get(owner, project);
    return row?.running ?? 0;
  }

  private bumpCount(queue: string, status: JobStatus, delta: number): void {
    this.db
      .prepare(
        'INSERT INTO status_counts (queue, status, n) VALUES (?, ?, ?) ON CONFLICT (queue, status) DO UPDATE SET n = n + excluded.n',
      )
      .run(queue, status, delta);
  }

  /** Records a status change in the counters; the caller updates the row itself. */
  private moved(queue: string, from: JobStatus | null, to: JobStatus): void {
    if (from !== null) this.bumpCount(queue, from, -1);
    this.bumpCount(queue, to, 1);
  }

  /** Whether a group of this owner/project may be dispatched now. */
  private groupReady(owner: OwnerRow, project: string): boolean {
    if (owner.max_running !== null && owner.running >= owner.max_running) return false;
    if (
      project !== '' &&
      owner.max_per_project !== null &&
      this.projectRunning(owner.owner, project) >= owner.max_per_project
    ) {
      return false;
    }
    return true;
  }

  /** Puts a group's head back into the ready set after its queued jobs changed. */
  private refileGroup(queue: string, owner: string, project: string): void {
    const head = this.db
      .prepare<[string, string, string], { eff_priority: number }>(
        `SELECT eff_priority FROM jobs WHERE queue = ? AND owner = ? AND project = ? AND status = 'queued'
         ORDER BY eff_priority, seq LIMIT 1`,
      )
      .get(queue, owner, project);
    const group = this.db
      .prepare<[string, string, string], GroupRow>(
        'SELECT * FROM job_groups WHERE queue = ? AND owner = ? AND project = ?',
      )
      .get(queue, owner, project);
    if (!head) {
      if (group) this.db.prepare('DELETE FROM job_groups WHERE gid = ?').run(group.gid);
      return;
    }
    const ready = this.groupReady(this.ownerRow(owner), project) ? 1 : 0;
    if (!group) {
      const vstart = enteringVstart(null, this.queueRow(queue).vtime);
      this.db
        .prepare(
          'INSERT INTO job_groups (queue, owner, project, vstart, head_key, ready) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(queue, owner, project, vstart, headKey(vstart, head.eff_priority, this.fairness), ready);
      return;
    }
    this.db
      .prepare('UPDATE job_groups SET head_key = ?, ready = ? WHERE gid = ?')
      .run(headKey(group.vstart, head.eff_priority, this.fairness), ready, group.gid);
  }

  /** A running job left `running`: free its slots and wake groups that were parked on them. */
  private freeSlot(row: JobRow): void {
    this.db.prepare('UPDATE queues SET running = MAX(running - 1, 0) WHERE name = ?').run(row.queue);
    this.db.prepare('UPDATE owners SET running = MAX(running - 1, 0) WHERE owner = ?').run(row.owner);
    this.db
      .prepare('UPDATE projects SET running = MAX(running - 1, 0) WHERE owner = ? AND project = ?')
      .run(row.owner, row.project);
    this.unparkOwner(row.owner);
  }

  /**
   * Returns the owner's parked groups to the ready set when their limits allow it.
   * A returning group's vstart is lifted to its queue's clock so it gets no burst.
   */
  private unparkOwner(ownerId: string): void {
    const owner = this.ownerRow(ownerId);
    if (owner.max_running !== null && owner.running >= owner.max_running) return;
    this.db
      .prepare(
        `UPDATE job_groups SET
           head_key = head_key + (MAX(vstart, (SELECT vtime FROM queues WHERE name = job_groups.queue)) - vstart),
           vstart = MAX(vstart, (SELECT vtime FROM queues WHERE name = job_groups.queue)),
           ready = 1
         WHERE owner = @owner AND ready = 0 AND (
           project = '' OR @maxPerProject IS NULL OR
           COALESCE((SELECT running FROM projects p WHERE p.owner = @owner AND p.project = job_groups.project), 0) < @maxPerProject
         )`,
      )
      .run({ owner: ownerId, maxPerProject: owner.max_per_project });
  }

  private parkIfAtLimit(ownerId: string, project: string): void {
    const owner = this.ownerRow(ownerId);
    if (owner.max_running !== null && owner.running >= owner.max_running) {
      this.db.prepare('UPDATE job_groups SET ready = 0 WHERE owner = ?').run(ownerId);
    } else if (
      project !== '' &&
      owner.max_per_project !== null &&
      this.projectRunning(ownerId, project) >= owner.max_per_project
    ) {
      this.db
        .prepare('UPDATE job_groups SET ready = 0 WHERE owner = ? AND project = ?')
        .run(ownerId, project);
    }
  }

  /** Moves a row to queued and files it into its group. */
  private enqueue(row: JobRow, from: JobStatus): void {
    this.db.prepare(`UPDATE jobs SET status = 'queued' WHERE seq = ?`).run(row.seq);
    this.moved(row.queue, from, 'queued');
    this.refileGroup(row.queue, row.owner, row.project);
  }

  private waitingCount(queue: string): number {
    const placeholders = WAITING_STATUSES.map(() => '?').join(', ');
    const row = this.db
      .prepare<unknown[], { n: number | null }>(
        `SELECT SUM(n) AS n FROM status_counts WHERE queue = ? AND status IN (${placeholders})`,
      )
      .get(queue, ...WAITING_STATUSES);
    return row?.n ?? 0;
  }

  private holdsLease(ref: LeaseRef, op: string): JobRow {
    const row = this.row(ref.id);
    if (!row) throw storeFailure('not_found', { id: ref.id });
    if (row.status !== 'running' || row.lease_token !== ref.token)
      throw storeFailure('lease_lost', { id: ref.id, op });
    return row;
  }

  // ---- admission ------------------------------------------------------------------

  admit(requests: AdmitRequest[]): Promise<Array<AdmitResult | { kind: 'error'; error: Error }>> {
    return Promise.resolve(
      requests.map((request) => {
        try {
          return this.db.transaction(() => this.admitOne(request)).immediate();
        } catch (error) {
          return { kind: 'error' as const, error: error as Error };
        }
      }),
    );
  }

  private admitOne({ job, limits, calendar, idempotency }: AdmitRequest): AdmitResult {
    const now = this.clock();
    if (idempotency) {
      const prior = this.db
        .prepare<[string, string, number], { fingerprint: string; job_id: string }>(
          'SELECT fingerprint, job_id FROM idempotency WHERE owner = ? AND key = ? AND expires_at > ?',
        )
        .get(job.owner, idempotency.key, now);
      if (prior) {
        if (prior.fingerprint !== idempotency.fingerprint) throw storeFailure('idempotency_conflict');
        const original = this.row(prior.job_id);
        if (original) return { kind: 'duplicate', job: toJob(original) };
      }
    }

    const queue = this.queueRow(job.queue);
    if (queue.max_queued !== null && this.waitingCount(job.queue) >= queue.max_queued) {
      throw storeFailure('queue_full', { queue: job.queue });
    }

    this.db
      .prepare(
        `INSERT INTO owners (owner, max_running, max_per_project, boost) VALUES (@owner, @maxRunning, @maxPerProject, @boost)
         ON CONFLICT (owner) DO UPDATE SET max_running = excluded.max_running,
           max_per_project = excluded.max_per_project, boost = excluded.boost`,
      )
      .run({
        owner: job.owner,
        maxRunning: limits.maxConcurrentPerUser,
        maxPerProject: limits.maxConcurrentPerProject,
        boost: limits.priorityBoost,
      });

    // Follow-up iterations: depth from the parent, allowance from the root's confirmed grants.
    let depth = 0;
    let rootId: string | null = null;
    let needsConfirmation = false;
    const allowance = limits.iterationDepth;
    if (job.parentId !== null) {
      const parent = this.row(job.parentId);
      if (!parent || parent.owner !== job.owner) {
        throw new JobgateError('JOBGATE_ERR_UNPROCESSABLE', `Parent job ${job.parentId} does not exist`, {
          details: { parentId: job.parentId },
        });
      }
      depth = parent.depth + 1;
      rootId = parent.root_id ?? parent.id;
      const root = this.row(rootId);
      const allowed =
        limits.iterationDepth === null ? null : limits.iterationDepth + (root?.granted_iterations ?? 0);
      needsConfirmation = allowed !== null && depth > allowed;
    }

    let runAt = job.runAt ?? (job.delayMs !== null ? now + job.delayMs : now);
    let deferredByQuota = false;
    const today = dayIndex(now, calendar.resetOffsetMs);
    let chargedDay = today;
    if (limits.dailyJobs !== null) {
      const runDay = Math.max(today, dayIndex(runAt, calendar.resetOffsetMs));
      chargedDay = this.firstDayWithQuota(job.owner, runDay, limits.dailyJobs);
      if (chargedDay > runDay) {
        deferredByQuota = true;
        runAt = dayStart(chargedDay, calendar.resetOffsetMs) + calendar.jitterMs;
      }
    }
    this.db
      .prepare(
        `INSERT INTO daily_usage (owner, day, jobs, iterations) VALUES (?, ?, 1, ?)
         ON CONFLICT (owner, day) DO UPDATE SET jobs = jobs + 1, iterations = iterations + excluded.iterations`,
      )
      .run(job.owner, chargedDay, depth > 0 ? 1 : 0);

    const status: JobStatus = needsConfirmation
      ? 'awaiting_confirmation'
      : runAt > now
        ? 'scheduled'
        : 'queued';
    const project = job.projectId ?? '';
    this.db
      .prepare(
        `INSERT INTO jobs (id, queue, type, status, priority, eff_priority, payload, max_attempts, timeout_ms,
           owner, project, parent_id, root_id, depth, iteration_allowance, created_at, run_at)
         VALUES (@id, @queue, @type, @status, @priority, @eff, @payload, @maxAttempts, @timeoutMs,
           @owner, @project, @parentId, @rootId, @depth, @allowance, @now, @runAt)`,
      )
      .run({
        id: job.id,
        queue: job.queue,
        type: job.type,
        status,
        priority: job.priority,
        eff: effectivePriority(job.priority, limits.priorityBoost),
        payload: job.payload === undefined ? null : JSON.stringify(job.payload),
        maxAttempts: job.maxAttempts,
        timeoutMs: job.timeoutMs,
        owner: job.owner,
        project,
        parentId: job.parentId,
        rootId,
        depth,
        allowance,
        now,
        runAt,
      });
    this.moved(job.queue, null, status);
    if (status === 'queued') this.refileGroup(job.queue, job.owner, project);
    if (idempotency) {
      this.db
        .prepare(
          `INSERT INTO idempotency (owner, key, fingerprint, job_id, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (owner, key) DO UPDATE SET fingerprint = excluded.fingerprint, job_id = excluded.job_id,
             expires_at = excluded.expires_at`,
        )
        .run(job.owner, idempotency.key, idempotency.fingerprint, job.id, now + idempotency.ttlMs);
    }
    return { kind: 'created', job: this.job(job.id), deferredByQuota };
  }

  private firstDayWithQuota(owner: string, fromDay: number, dailyJobs: number): number {
    const used = this.db.prepare<[string, number], { jobs: number }>(
      'SELECT jobs FROM daily_usage WHERE owner = ? AND day = ?',
    );
    for (let day = fromDay; day <= fromDay + quotaHorizonDays; day++) {
      if ((used.get(owner, day)?.jobs ?? 0) < dailyJobs) return day;
    }
    throw storeFailure('quota_exhausted');
  }

  configureQueue(settings: QueueSettings): Promise<void> {
    return this.tx(() => {
      this.queueRow(settings.queue);
      this.db
        .prepare('UPDATE queues SET max_workers = ?, max_queued = ? WHERE name = ?')
        .run(settings.maxWorkers, settings.maxQueued, settings.queue);
    });
  }

  // ---- leasing --------------------------------------------------------------------

  claim({ queue, workerId, limit, leaseMs }: ClaimRequest): Promise<ClaimedJob[]> {
    return this.tx(() => {
      const now = this.clock();
      const claimed: ClaimedJob[] = [];
      const q = this.queueRow(queue);
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
        this.moved(queue, 'queued', 'running');
        this.db
          .prepare('UPDATE queues SET running = running + 1, vtime = MAX(vtime, ?) WHERE name = ?')
          .run(group.vstart + 1, queue);
        this.db.prepare('UPDATE owners SET running = running + 1 WHERE owner = ?').run(row.owner);
        this.db
          .prepare(
            'INSERT INTO projects (owner, project, running) VALUES (?, ?, 1) ON CONFLICT (owner, project) DO UPDATE SET running = running + 1',
          )
          .run(row.owner, row.project);
        // One turn on: the group goes behind every other group of its priority.
        this.db.prepare('UPDATE job_groups SET vstart = vstart + 1 WHERE gid = ?').run(group.gid);
        this.refileGroup(queue, row.owner, row.project);
        this.parkIfAtLimit(row.owner, row.project);
        claimed.push({ ...this.job(row.id), leaseToken: token });
      }
      return claimed;
    });
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
      const row = this.holdsLease(request, 'progress');
      this.db
        .prepare(
          'UPDATE jobs SET progress_percent = ?, progress_stage = ?, progress_message = ? WHERE seq = ?',
        )
        .run(request.progress.percent, request.progress.stage, request.progress.message, row.seq);
      return this.job(row.id);
    });
  }

  complete(request: LeaseRef & { result: unknown }): Promise<Job> {
    return this.tx(() => {
      const row = this.holdsLease(request, 'complete');
      this.finish(row, 'completed', {
        result: request.result === undefined ? null : JSON.stringify(request.result),
        progress: 100,
      });
      return this.job(row.id);
    });
  }

  fail(request: LeaseRef & { error: JobError; retryDelayMs: number | null }): Promise<Job> {
    return this.tx(() => {
      const row = this.holdsLease(request, 'fail');
      const error = JSON.stringify(request.error);
      const retry =
        request.retryDelayMs !== null &&
        request.error.retryable &&
        row.attempts < row.max_attempts &&
        row.cancel_requested === 0;
      if (retry) {
        this.releaseLease(row);
        this.db
          .prepare(`UPDATE jobs SET status = 'scheduled', run_at = ?, error = ? WHERE seq = ?`)
          .run(this.clock() + (request.retryDelayMs ?? 0), error, row.seq);
        this.moved(row.queue, 'running', 'scheduled');
      } else {
        this.finish(row, row.cancel_requested === 1 ? 'cancelled' : 'failed', { error });
      }
      return this.job(row.id);
    });
  }

  release(request: LeaseRef): Promise<Job> {
    return this.tx(() => {
      const row = this.holdsLease(request, 'release');
      this.releaseLease(row);
      this.db
        .prepare('UPDATE jobs SET attempts = MAX(attempts - 1, 0), started_at = NULL WHERE seq = ?')
        .run(row.seq);
      this.enqueue(row, 'running');
      return this.job(row.id);
    });
  }

  /** Clears a running row's lease and frees its slots; the caller sets the next status. */
  private releaseLease(row: JobRow): void {
    this.db
      .prepare('UPDATE jobs SET worker_id = NULL, lease_token = NULL, lease_expires_at = NULL WHERE seq = ?')
      .run(row.seq);
    this.freeSlot(row);
  }

  private finish(
    row: JobRow,
    status: 'completed' | 'failed' | 'cancelled',
    fields: { result?: string | null; error?: string | null; progress?: number },
  ): void {
    const wasRunning = row.status === 'running';
    if (wasRunning) this.releaseLease(row);
    this.db
      .prepare(
        `UPDATE jobs SET status = ?, finished_at = ?, result = COALESCE(?, result), error = COALESCE(?, error),
           progress_percent = COALESCE(?, progress_percent) WHERE seq = ?`,
      )
      .run(
        status,
        this.clock(),
        fields.result ?? null,
        fields.error ?? null,
        fields.progress ?? null,
        row.seq,
      );
    this.moved(row.queue, row.status, status);
    if (row.status === 'queued') this.refileGroup(row.queue, row.owner, row.project);
  }

  // ---- operator actions -----------------------------------------------------------

  private ownedRow(id: string, owner: string | undefined): JobRow {
    const row = this.row(id);
    if (!row || (owner !== undefined && row.owner !== owner)) throw storeFailure('not_found', { id });
    return row;
  }

  cancel({ id, owner }: { id: string; owner?: string }): Promise<CancelResult> {
    return this.tx(() => {
      const row = this.ownedRow(id, owner);
      if (row.status === 'running') {
        this.db.prepare('UPDATE jobs SET cancel_requested = 1 WHERE seq = ?').run(row.seq);
        return { job: this.job(id), outcome: 'requested' as const };
      }
      if (row.status === 'queued' || row.status === 'scheduled' || row.status === 'awaiting_confirmation') {
        this.finish(row, 'cancelled', {});
        return { job: this.job(id), outcome: 'cancelled' as const };
      }
      throw storeFailure('illegal', { id, status: row.status, op: 'cancel' });
    });
  }

  retry({ id, owner }: { id: string; owner?: string }): Promise<Job> {
    return this.tx(() => {
      const row = this.ownedRow(id, owner);
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
      this.enqueue(row, row.status);
      return this.job(id);
    });
  }

  confirm({ id, owner, grant }: { id: string; owner?: string; grant: number }): Promise<Job> {
    return this.tx(() => {
      const row = this.ownedRow(id, owner);
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
      this.enqueue(row, 'awaiting_confirmation');
      return this.job(id);
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
      for (const row of rows) this.enqueue(row, 'scheduled');
      return rows.map((row) => this.job(row.id));
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
          this.finish(row, 'cancelled', {});
        } else if (row.attempts >= row.max_attempts) {
          const error: JobError = {
            message: 'Lease expired: the worker stopped heartbeating',
            retryable: false,
          };
          this.finish(row, 'failed', { error: JSON.stringify(error) });
        } else {
          this.releaseLease(row);
          this.enqueue(row, 'running');
        }
      }
      return rows.map((row) => this.job(row.id));
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
        this.bumpCount(row.queue, row.status, -1);
      }
      this.db.prepare('DELETE FROM idempotency WHERE expires_at < ?').run(this.clock());
      return rows.length;
    });
  }

  // ---- reads ----------------------------------------------------------------------

  get(id: string, owner?: string): Promise<Job | null> {
    return this.read(() => {
      const row = this.row(id);
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
