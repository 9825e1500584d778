/**
 * The job tables and the invariants kept on every change, shared by the SQLite store's
 * operations. Every method here runs inside the caller's transaction.
 *
 * - `status_counts` equals COUNT(*) GROUP BY queue, status;
 * - `queues.running`, `owners.running`, `projects.running` equal the running jobs;
 * - a (queue, owner, project) with queued jobs has exactly one `job_groups` row, whose
 *   head_key belongs to its head job and whose `ready` says whether its owner and
 *   project are below their limits (see domain/fair-share.ts).
 */
import type Database from 'better-sqlite3';
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

interface OwnerRow {
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

  ownerRow(owner: string): OwnerRow {
    this.db.prepare('INSERT OR IGNORE INTO owners (owner) VALUES (?)').run(owner);
    return this.db.prepare<[string], OwnerRow>('SELECT * FROM owners WHERE owner = ?').get(owner)!;
  }

  projectRunning(owner: string, project: string): number {
    const row = this.db
      .prepare<[string, string], { running: number }>(
        'SELECT running FROM projects WHERE owner = ? AND project = ?',
      )
      .get(owner, project);
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

  /** Whether a group of this owner/project may be dispatched now. */
  groupReady(owner: OwnerRow, project: string): boolean {
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
  refileGroup(queue: string, owner: string, project: string): void {
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
  freeSlot(row: JobRow): void {
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
  unparkOwner(ownerId: string): void {
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

  parkIfAtLimit(ownerId: string, project: string): void {
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
    if (row.status !== 'running' || row.lease_token !== ref.token)
      throw storeFailure('lease_lost', { id: ref.id, op });
    return row;
  }

  releaseLease(row: JobRow): void {
    this.db
      .prepare('UPDATE jobs SET worker_id = NULL, lease_token = NULL, lease_expires_at = NULL WHERE seq = ?')
      .run(row.seq);
    this.freeSlot(row);
  }

  finish(
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

  ownedRow(id: string, owner: string | undefined): JobRow {
    const row = this.row(id);
    if (!row || (owner !== undefined && row.owner !== owner)) throw storeFailure('not_found', { id });
    return row;
  }
}
