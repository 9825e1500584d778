/**
 * Schedules: a noun of the store contract beside jobs (docs/SCHEDULES.md). A schedule is
 * a definition (cron, time zone, the job it makes) and a little state: the latest tick
 * that was handled and the latest job it made. Each method is one atomic store call.
 *
 * Exactly one job per tick is not this interface's work: a tick's job is admitted with
 * the idempotency key `schedule:<name>:<tick>` (the admission is atomic and per owner),
 * so any number of servers may race for one tick. `recordScheduleTick` only moves the
 * state forward (a maximum, never back), so late or repeated writes are harmless.
 */

export const OVERLAP_POLICIES = ['allow', 'skip'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];
export const MISSED_POLICIES = ['skip', 'catch-up-one'] as const;
export type MissedPolicy = (typeof MISSED_POLICIES)[number];

export interface ScheduleDefinition {
  name: string;
  /** 5 fields (minute precision) or 6 (seconds first), as croner reads them. */
  cron: string;
  /** IANA time zone the cron fields are read in. */
  timezone: string;
  queue: string;
  type: string;
  payload: unknown;
  priority: number;
  maxAttempts: number | null;
  timeoutMs: number | null;
  projectId: string | null;
  /** The tenant the jobs belong to: its tier's quota and limits apply to them. */
  owner: string;
  tier: string;
  enabled: boolean;
  /** `skip`: a tick passes while the previous run is still queued, scheduled or running. */
  overlap: OverlapPolicy;
  /** Ticks that fell while no server ran: dropped (`skip`) or made up by one job (`catch-up-one`). */
  missed: MissedPolicy;
}

export interface ScheduleRecord extends ScheduleDefinition {
  createdAt: number;
  updatedAt: number;
  /** Every tick up to this time was handled (fired, skipped or passed over while paused). */
  lastTick: number;
  lastJobId: string | null;
  /** When the last job was made (its tick, or the time of a run-now). */
  lastRunAt: number | null;
}

export type SchedulePatch = Partial<Omit<ScheduleDefinition, 'name'>>;

export interface ScheduleStore {
  /** A new schedule, lastTick = the store's now; throws `schedule_exists` when the name is taken. */
  createSchedule(definition: ScheduleDefinition): Promise<ScheduleRecord>;
  /** Creates or replaces the definition (the config file's schedules); an existing one keeps its state. */
  upsertSchedule(definition: ScheduleDefinition): Promise<ScheduleRecord>;
  /**
   * Changes some fields; null when there is no such schedule. A schedule that goes from
   * disabled to enabled gets lastTick = now: the ticks of the pause are not made up.
   */
  updateSchedule(request: { name: string; patch: SchedulePatch }): Promise<ScheduleRecord | null>;
  getSchedule(name: string): Promise<ScheduleRecord | null>;
  /** Every schedule, by name. */
  listSchedules(): Promise<ScheduleRecord[]>;
  deleteSchedule(name: string): Promise<boolean>;
  /**
   * lastTick = max(lastTick, tick) when `tick` is given; lastJobId/lastRunAt = the run's
   * when `run` is given and it is not older than the recorded one. Null when the schedule
   * is gone (deleted meanwhile).
   */
  recordScheduleTick(request: {
    name: string;
    tick: number | null;
    run: { jobId: string; at: number } | null;
  }): Promise<ScheduleRecord | null>;
}
