/**
 * The job tables and the invariants kept on every change, shared by the SQLite store's
 * operations. Every method here runs inside the caller's transaction.
 *
 * - `status_counts` equals COUNT(*) GROUP BY queue, status;
 * - `queues.running` equals the queue's running jobs, `owners.running` the running jobs
 *   of one (queue, owner), `projects.running` those of one (queue, owner, project);
 * - a (queue, owner, project) with queued jobs has exactly one `job_groups` row, whose
 *   head_key belongs to its head job and whose `ready` says whether its owner and
 *   project are below their limits in that queue (see domain/fair-share.ts).
 *
 * Concurrency limits hold per queue: each queue is its own worker pool, and a claim
 * touches one queue's rows only (on Redis, one hash slot). An owner whose tier scopes its
 * limits to the tenant has a `tenant_limits` row instead: its running jobs (and a
 * project's) are summed over its per-queue rows, its groups are parked in every queue
 * when it reaches the limit, and woken in every queue when a slot frees.
 */

import type Database from 'better-sqlite3';
import { appendAttempt } from '../../domain/attempt.js';
import { enteringVstart, type FairnessSettings, headKey } from '../../domain/fair-share.js';
import type { Job } from '../../domain/job.js';
import { type JobStatus, WAITING_STATUSES } from '../../domain/job-states.js';
import type { LeaseRef } from '../store.js';
import { storeFailure } from '../store-errors.js';
import { type JobRow, toJob } from './job-row.js';

export interface QueueRow {
  name: string;
  max_workers: number | null;
  max_queued: number | null;
  paused: number;
  vtime: number;
  running: number;
}

export interface GroupRow {
  gid: number;
  queue: string;
  owner: string;
  project: string;
  vstart: number;
  head_key: number;
  ready: number;
}

/**
 * An owner in one queue: its running jobs there and its tier's limits as of its last
 * admission to that queue. The limits sit on the same row as the counter, rather than in
 * a per-owner table, so the limit checks of a claim and of a freed slot read one row by
 * primary key (a per-owner row would add a second lookup to every claim); the price is
 * that a tier change reaches a queue with that owner's next admission there, which is
 * also when the jobs admitted under the new tier start to queue.
 */
export interface OwnerRow {
  queue: string;
  owner: string;
  running: number;
  max_running: number | null;
  max_per_project: number | null;
  boost: number;
}

export class JobTables {
  readonly db: Database.Database;
  readonly clock: () => number;
  private readonly fairness: FairnessSettings;

  constructor(db: Database.Database, clock: () => number, fairness: FairnessSettings) {
    this.db = db;
    this.clock = clock;
    this.fairness = fairness;
  }

  row(id: string): JobRow | undefined {
    return this.db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?').get(id);
  }

  job(id: string): Job {
    const row = this.row(id);
    if (!row) throw storeFailure('not_found', { id });
    return toJob(row);
  }

  queueRow(queue: string): QueueRow {
    this.db.prepare('INSERT OR IGNORE INTO queues (name) VALUES (?)').run(queue);
    return this.db.prepare<[string], QueueRow>('SELECT * FROM queues WHERE name = ?').get(queue)!;
  }

  /** The (queue, owner) row; an owner never admitted to the queue has no limits. */
  ownerRow(queue: string, owner: string): OwnerRow {
    const select = this.db.prepare<[string, string], OwnerRow>(
      'SELECT * FROM owners WHERE queue = ? AND owner = ?',
    );
    const row = select.get(queue, owner);
    if (row) return row;
    this.db.prepare('INSERT INTO owners (queue, owner) VALUES (?, ?)').run(queue, owner);
    return select.get(queue, owner)!;
  }

  projectRunning(queue: string, owner: string, project: string): number {
    const row = this.db
      .prepare<[string, string, string], { running: number }>(
        'SELECT running FROM projects WHERE queue = ? AND owner = ? AND project = ?',
      )
      .get(queue, owner, project);
    return row?.running ?? 0;
  }

  bumpCount(queue: string, status: JobStatus, delta: number): void {
    this.db
      .prepare(
        'INSERT INTO status_counts (queue, status, n) VALUES (?, ?, ?) ON CONFLICT (queue, status) DO UPDATE SET n = n + excluded.n',
      )
      .run(queue, status, delta);
  }

  /** Records a status change in the counters; the caller updates the row itself. */
  moved(queue: string, from: JobStatus | null, to: JobStatus): void {
    if (from !== null) this.bumpCount(queue, from, -1);
    this.bumpCount(queue, to, 1);
  }

  /** Records (or, with null, clears) an owner's tenant-wide limits. */
  setTenantLimits(
    owner: string,
    limits: { maxConcurrentPerUser: number | null; maxConcurrentPerProject: number | null } | null,
  ): void {
    if (limits === null) {
      this.db.prepare('DELETE FROM tenant_limits WHERE owner = ?').run(owner);
      return;
    }
    this.db
      .prepare(
        `INSERT INTO tenant_limits (owner, max_running, max_per_project) VALUES (?, ?, ?)
           ON CONFLICT (owner) DO UPDATE SET max_running = excluded.max_running,
             max_per_project = excluded.max_per_project`,
      )
      .run(owner, limits.maxConcurrentPerUser, limits.maxConcurrentPerProject);
  }

  tenantLimits(owner: string): TenantLimitsRow | undefined {
    return this.db
      .prepare<[string], TenantLimitsRow>('SELECT * FROM tenant_limits WHERE owner = ?')
      .get(owner);
  }

  /** The owner's running jobs in every queue, and one project's. */
  tenantRunning(owner: string, project: string): { running: number; projectRunning: number } {
    const running =
      this.db
        .prepare<[string], { n: number | null }>('SELECT SUM(running) AS n FROM owners WHERE owner = ?')
        .get(owner)?.n ?? 0;
    const projectRunning =
      project === ''
        ? 0
        : (this.db
            .prepare<[string, string], { n: number | null }>(
              'SELECT SUM(running) AS n FROM projects WHERE owner = ? AND project = ?',
            )
            .get(owner, project)?.n ?? 0);
    return { running, projectRunning };
  }

  /** Whether the owner (and the project) are at their tenant-wide limits; both false without them. */
  tenantFull(owner: string, project: string): { ownerFull: boolean; projectFull: boolean } {
    const limits = this.tenantLimits(owner);
    if (!limits) return { ownerFull: false, projectFull: false };
    const { running, projectRunning } = this.tenantRunning(owner, project);
    return {
      ownerFull: limits.max_running !== null && running >= limits.max_running,
      projectFull:
        project !== '' && limits.max_per_project !== null && projectRunning >= limits.max_per_project,
    };
  }

  /** Whether a group of this owner/project may be dispatched now in the owner row's queue. */
  groupReady(owner: OwnerRow, project: string): boolean {
    if (ownerFull(owner)) return false;
    if (projectFull(owner, project, () => this.projectRunning(owner.queue, owner.owner, project)))
      return false;
    const tenant = this.tenantFull(owner.owner, project);
    return !tenant.ownerFull && !tenant.projectFull;
  }

  /**
   * Puts a group's head back into the ready set after its queued jobs changed. `ready`
   * is the caller's verdict on the limits when it has just read them (a claim).
   */
  refileGroup(queue: string, owner: string, project: string, ready?: boolean): void {
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
    const readyFlag = (ready ?? this.groupReady(this.ownerRow(queue, owner), project)) ? 1 : 0;
    if (!group) {
      const vstart = enteringVstart(null, this.queueRow(queue).vtime);
      this.db
        .prepare(
          'INSERT INTO job_groups (queue, owner, project, vstart, head_key, ready) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(queue, owner, project, vstart, headKey(vstart, head.eff_priority, this.fairness), readyFlag);
      return;
    }
    this.db
      .prepare('UPDATE job_groups SET head_key = ?, ready = ? WHERE gid = ?')
      .run(headKey(group.vstart, head.eff_priority, this.fairness), readyFlag, group.gid);
  }

  /**
   * A job of this group started running: count it against its owner and project in its
   * queue, and say whether they are still below their limits there.
   */
  takeSlot(queue: string, owner: string, project: string): { ownerFull: boolean; projectFull: boolean } {
    const row = this.db
      .prepare<[string, string], OwnerRow>(
        `INSERT INTO owners (queue, owner, running) VALUES (?, ?, 1)
           ON CONFLICT (queue, owner) DO UPDATE SET running = running + 1 RETURNING *`,
      )
      .get(queue, owner)!;
    const projectRow = this.db
      .prepare<[string, string, string], { running: number }>(
        `INSERT INTO projects (queue, owner, project, running) VALUES (?, ?, ?, 1)
           ON CONFLICT (queue, owner, project) DO UPDATE SET running = running + 1 RETURNING running`,
      )
      .get(queue, owner, project)!;
    const tenant = this.tenantFull(owner, project);
    return {
      ownerFull: ownerFull(row) || tenant.ownerFull,
      projectFull: projectFull(row, project, () => projectRow.running) || tenant.projectFull,
    };
  }

  /**
   * After a claim left this owner or project at a limit: parks the owner's groups in this
   * queue, or in every queue when the limit is the tenant's (a project's only, when only
   * the project is at its limit).
   */
  parkAtLimit(
    queue: string,
    owner: string,
    project: string,
    full: { ownerFull: boolean; projectFull: boolean },
  ): void {
    if (!this.tenantLimits(owner)) {
      if (full.ownerFull) this.parkOwner(queue, owner);
      return;
    }
    const tenant = this.tenantFull(owner, project);
    if (tenant.ownerFull) {
      this.db.prepare('UPDATE job_groups SET ready = 0 WHERE owner = ? AND +ready = 1').run(owner);
    } else if (tenant.projectFull) {
      this.db
        .prepare('UPDATE job_groups SET ready = 0 WHERE owner = ? AND project = ? AND +ready = 1')
        .run(owner, project);
    }
  }

  /**
   * Parks every group of an owner in one queue (it reached its limit there). `+ready`
   * keeps SQLite on the (queue, owner, project) index: on (queue, ready) it would walk
   * every ready group of the queue. The same holds in unparkOwner.
   */
  parkOwner(queue: string, owner: string): void {
    this.db
      .prepare('UPDATE job_groups SET ready = 0 WHERE queue = ? AND owner = ? AND +ready = 1')
      .run(queue, owner);
  }

  /**
   * A running job left `running`: free its slots in its queue and wake the groups of
   * that owner in that queue that were parked on them. Other queues are untouched: the
   * owner's limits there count only their own running jobs.
   */
  freeSlot(row: JobRow): void {
    this.db.prepare('UPDATE queues SET running = MAX(running - 1, 0) WHERE name = ?').run(row.queue);
    const owner =
      this.db
        .prepare<[string, string], OwnerRow>(
          'UPDATE owners SET running = MAX(running - 1, 0) WHERE queue = ? AND owner = ? RETURNING *',
        )
        .get(row.queue, row.owner) ?? this.ownerRow(row.queue, row.owner);
    this.db
      .prepare(
        'UPDATE projects SET running = MAX(running - 1, 0) WHERE queue = ? AND owner = ? AND project = ?',
      )
      .run(row.queue, row.owner, row.project);
    if (!this.tenantLimits(row.owner)) {
      this.unparkOwner(owner);
      return;
    }
    // Limits across queues: the slot freed here may be taken in any of them.
    const rows = this.db.prepare<[string], OwnerRow>('SELECT * FROM owners WHERE owner = ?').all(row.owner);
    for (const each of rows) this.unparkOwner(each);
  }

  /**
   * Returns the owner's parked groups in its row's queue to the ready set when their
   * limits allow it. A returning group's vstart is lifted to the queue's clock so it gets
   * no burst. Cost: the owner's groups in that queue (one per project), by index.
   */
  unparkOwner(owner: OwnerRow): void {
    if (ownerFull(owner)) return;
    const tenant = this.tenantLimits(owner.owner);
    if (tenant) {
      this.unparkTenant(owner.queue, owner.owner, tenant);
      return;
    }
    this.db
      .prepare(
        `UPDATE job_groups SET
           head_key = head_key + (MAX(vstart, (SELECT vtime FROM queues WHERE name = @queue)) - vstart),
           vstart = MAX(vstart, (SELECT vtime FROM queues WHERE name = @queue)),
           ready = 1
         WHERE queue = @queue AND owner = @owner AND +ready = 0 AND (
           project = '' OR @maxPerProject IS NULL OR
           COALESCE((SELECT running FROM projects p
             WHERE p.queue = @queue AND p.owner = @owner AND p.project = job_groups.project), 0) < @maxPerProject
         )`,
      )
      .run({ queue: owner.queue, owner: owner.owner, maxPerProject: owner.max_per_project });
  }

  /** unparkOwner for an owner whose limits span queues: its running jobs and projects' summed over them. */
  private unparkTenant(queue: string, owner: string, limits: TenantLimitsRow): void {
    if (limits.max_running !== null && this.tenantRunning(owner, '').running >= limits.max_running) return;
    this.db
      .prepare(
        `UPDATE job_groups SET
           head_key = head_key + (MAX(vstart, (SELECT vtime FROM queues WHERE name = @queue)) - vstart),
           vstart = MAX(vstart, (SELECT vtime FROM queues WHERE name = @queue)),
           ready = 1
         WHERE queue = @queue AND owner = @owner AND +ready = 0 AND (
           project = '' OR @maxPerProject IS NULL OR
           COALESCE((SELECT SUM(running) FROM projects p
             WHERE p.owner = @owner AND p.project = job_groups.project), 0) < @maxPerProject
         )`,
      )
      .run({ queue, owner, maxPerProject: limits.max_per_project });
  }

  /** Moves a row to queued and files it into its group. */
  enqueue(row: JobRow, from: JobStatus): void {
    this.db.prepare(`UPDATE jobs SET status = 'queued' WHERE seq = ?`).run(row.seq);
    this.moved(row.queue, from, 'queued');
    this.refileGroup(row.queue, row.owner, row.project);
  }

  waitingCount(queue: string): number {
    const placeholders = WAITING_STATUSES.map(() => '?').join(', ');
    const row = this.db
      .prepare<unknown[], { n: number | null }>(
        `SELECT SUM(n) AS n FROM status_counts WHERE queue = ? AND status IN (${placeholders})`,
      )
      .get(queue, ...WAITING_STATUSES);
    return row?.n ?? 0;
  }

  holdsLease(ref: LeaseRef, op: string): JobRow {
    const row = this.row(ref.id);
    if (!row) throw storeFailure('not_found', { id: ref.id });
    if (
      row.status !== 'running' ||
      row.lease_token !== ref.token ||
      (ref.workerId !== undefined && row.worker_id !== ref.workerId)
    )
      throw storeFailure('lease_lost', { id: ref.id, op });
    return row;
  }

  /**
   * Ends the lease and records the attempt it ran (src/domain/attempt.ts), in the caller's
   * transaction. `outcome` as stored: completed, failed, cancelled, lease_lost, released.
   */
  releaseLease(row: JobRow, outcome = 'released', error: string | null = null): void {
    const fresh = this.row(row.id) ?? row;
    const history =
      fresh.started_at === null
        ? null
        : appendAttempt(fresh.attempt_history, fresh.attempts_dropped ?? 0, {
            attempt: fresh.attempts,
            workerId: fresh.worker_id,
            runAt: fresh.run_at,
            startedAt: fresh.started_at,
            endedAt: this.clock(),
            outcome,
            error: error === null ? null : JSON.parse(error),
          });
    this.db
      .prepare(
        `UPDATE jobs SET worker_id = NULL, lease_token = NULL, lease_expires_at = NULL,
           attempt_history = COALESCE(?, attempt_history), attempts_dropped = COALESCE(?, attempts_dropped)
         WHERE seq = ?`,
      )
      .run(history?.text ?? null, history?.dropped ?? null, row.seq);
    this.freeSlot(row);
  }

  finish(
    row: JobRow,
    status: 'completed' | 'failed' | 'cancelled',
    fields: { result?: string | null; error?: string | null; progress?: number; outcome?: string },
  ): void {
    const wasRunning = row.status === 'running';
    if (wasRunning) this.releaseLease(row, fields.outcome ?? status, fields.error ?? null);
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

  ownedRow(id: string, owner: string | undefined): JobRow {
    const row = this.row(id);
    if (!row || (owner !== undefined && row.owner !== owner)) throw storeFailure('not_found', { id });
    return row;
  }
}

export interface TenantLimitsRow {
  owner: string;
  max_running: number | null;
  max_per_project: number | null;
}

function ownerFull(owner: OwnerRow): boolean {
  return owner.max_running !== null && owner.running >= owner.max_running;
}

/** `running` is read only when the project has a limit to check. */
function projectFull(owner: OwnerRow, project: string, running: () => number): boolean {
  return project !== '' && owner.max_per_project !== null && running() >= owner.max_per_project;
}
