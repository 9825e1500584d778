/** Schedules on SQLite (store/schedule-store.ts): one row each, one transaction per call. */
import type Database from 'better-sqlite3';
import type { ScheduleDefinition, SchedulePatch, ScheduleRecord, ScheduleStore } from '../schedule-store.js';
import { storeFailure } from '../store-errors.js';

interface ScheduleRow {
  name: string;
  cron: string;
  timezone: string;
  queue: string;
  type: string;
  payload: string;
  priority: number;
  max_attempts: number | null;
  timeout_ms: number | null;
  project_id: string | null;
  owner: string;
  tier: string;
  enabled: number;
  overlap: ScheduleRecord['overlap'];
  missed: ScheduleRecord['missed'];
  created_at: number;
  updated_at: number;
  last_tick: number;
  last_job_id: string | null;
  last_run_at: number | null;
}

const toRecord = (row: ScheduleRow): ScheduleRecord => ({
  name: row.name,
  cron: row.cron,
  timezone: row.timezone,
  queue: row.queue,
  type: row.type,
  payload: JSON.parse(row.payload),
  priority: row.priority,
  maxAttempts: row.max_attempts,
  timeoutMs: row.timeout_ms,
  projectId: row.project_id,
  owner: row.owner,
  tier: row.tier,
  enabled: row.enabled === 1,
  overlap: row.overlap,
  missed: row.missed,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  lastTick: row.last_tick,
  lastJobId: row.last_job_id,
  lastRunAt: row.last_run_at,
});

/** The definition's columns as named parameters. */
const definitionParams = (d: ScheduleDefinition) => ({
  name: d.name,
  cron: d.cron,
  timezone: d.timezone,
  queue: d.queue,
  type: d.type,
  payload: JSON.stringify(d.payload ?? null),
  priority: d.priority,
  max_attempts: d.maxAttempts,
  timeout_ms: d.timeoutMs,
  project_id: d.projectId,
  owner: d.owner,
  tier: d.tier,
  enabled: d.enabled ? 1 : 0,
  overlap: d.overlap,
  missed: d.missed,
});

const definitionColumns = Object.keys(definitionParams({} as ScheduleDefinition));

export class SqliteSchedules implements ScheduleStore {
  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number,
  ) {}

  private tx<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.db.transaction(fn).immediate());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private row(name: string): ScheduleRecord | null {
    const row = this.db.prepare<[string], ScheduleRow>('SELECT * FROM schedules WHERE name = ?').get(name);
    return row ? toRecord(row) : null;
  }

  createSchedule(definition: ScheduleDefinition): Promise<ScheduleRecord> {
    return this.tx(() => {
      if (this.row(definition.name)) throw storeFailure('schedule_exists', { name: definition.name });
      this.insert(definition);
      return this.row(definition.name)!;
    });
  }

  upsertSchedule(definition: ScheduleDefinition): Promise<ScheduleRecord> {
    return this.tx(() => {
      const prior = this.row(definition.name);
      if (!prior) this.insert(definition);
      else this.write(prior, definitionParams(definition));
      return this.row(definition.name)!;
    });
  }

  updateSchedule({ name, patch }: { name: string; patch: SchedulePatch }): Promise<ScheduleRecord | null> {
    return this.tx(() => {
      const prior = this.row(name);
      if (!prior) return null;
      this.write(prior, definitionParams({ ...prior, ...patch, name }));
      return this.row(name);
    });
  }

  getSchedule(name: string): Promise<ScheduleRecord | null> {
    try {
      return Promise.resolve(this.row(name));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  listSchedules(): Promise<ScheduleRecord[]> {
    try {
      return Promise.resolve(
        this.db.prepare<[], ScheduleRow>('SELECT * FROM schedules ORDER BY name').all().map(toRecord),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  deleteSchedule(name: string): Promise<boolean> {
    return this.tx(() => this.db.prepare('DELETE FROM schedules WHERE name = ?').run(name).changes > 0);
  }

  recordScheduleTick(request: {
    name: string;
    tick: number | null;
    run: { jobId: string; at: number } | null;
  }): Promise<ScheduleRecord | null> {
    return this.tx(() => {
      if (request.tick !== null) {
        this.db
          .prepare('UPDATE schedules SET last_tick = MAX(last_tick, ?) WHERE name = ?')
          .run(request.tick, request.name);
      }
      if (request.run) {
        this.db
          .prepare(
            `UPDATE schedules SET last_job_id = ?, last_run_at = ?
             WHERE name = ? AND (last_run_at IS NULL OR last_run_at <= ?)`,
          )
          .run(request.run.jobId, request.run.at, request.name, request.run.at);
      }
      return this.row(request.name);
    });
  }

  private insert(definition: ScheduleDefinition): void {
    const now = this.clock();
    this.db
      .prepare(
        `INSERT INTO schedules (${definitionColumns.join(', ')}, created_at, updated_at, last_tick)
         VALUES (${definitionColumns.map((c) => `@${c}`).join(', ')}, @now, @now, @now)`,
      )
      .run({ ...definitionParams(definition), now });
  }

  /** Rewrites the definition; a disabled schedule that is enabled skips the ticks it missed. */
  private write(prior: ScheduleRecord, params: ReturnType<typeof definitionParams>): void {
    const now = this.clock();
    const resumed = !prior.enabled && params.enabled === 1;
    this.db
      .prepare(
        `UPDATE schedules SET ${definitionColumns.map((c) => `${c} = @${c}`).join(', ')},
           updated_at = @now, last_tick = CASE WHEN @resumed THEN MAX(last_tick, @now) ELSE last_tick END
         WHERE name = @name`,
      )
      .run({ ...params, now, resumed: resumed ? 1 : 0 });
  }
}
