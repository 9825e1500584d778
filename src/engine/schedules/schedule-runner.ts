/**
 * The schedule service's pass: for every enabled schedule, the ticks that are due
 * (domain/schedule-ticks.ts planTicks) each become one job. Any number of servers run
 * it at once: a tick's job is admitted with the idempotency key `schedule:<name>:<tick>`
 * under the schedule's owner, an atomic step in the store, so a tick makes one job
 * however many servers race for it (the others get the same job back), and the state
 * (lastTick) only moves forward.
 *
 * A tick that fell before this service started is "missed" (no server ran): the
 * schedule's `missed` policy drops it or makes up all of them with one job.
 */
import { JobgateError } from '../../domain/errors.js';
import type { Job } from '../../domain/job.js';
import { nextTicks, planTicks } from '../../domain/schedule-ticks.js';
import type { ScheduleRecord } from '../../store/schedule-store.js';
import type { JobStore } from '../../store/store.js';
import { isStoreOutage } from '../../store/store-errors.js';
import type { Principal } from '../principal.js';
import type { SubmitInput } from '../submit-input.js';

/** What the runner needs of the engine. */
export interface ScheduleSubmitter {
  readonly store: JobStore;
  submit(input: SubmitInput, principal: Principal, idempotencyKey?: string): Promise<{ job: Job }>;
}

/** Statuses in which a previous run still counts as running (overlap `skip`). */
const activeStatuses = new Set<Job['status']>(['queued', 'scheduled', 'running', 'awaiting_confirmation']);

/** On-time ticks fired per schedule and pass: a long stall catches up over a few passes. */
export const ticksPerPassMax = 100;

/** What the next tick depends on: a change to any of it (another server's edit) computes it again. */
const stateOf = (s: ScheduleRecord) => `${s.cron}\n${s.timezone}\n${s.lastTick}`;

export const scheduleKey = (name: string, tick: number) => `schedule:${name}:${tick}`;

export function schedulePrincipal(schedule: ScheduleRecord): Principal {
  return { owner: schedule.owner, role: 'tenant', tier: schedule.tier, keyId: null };
}

export function scheduleInput(schedule: ScheduleRecord): SubmitInput {
  const input: SubmitInput = {
    queue: schedule.queue,
    type: schedule.type,
    payload: schedule.payload,
    priority: schedule.priority,
  };
  if (schedule.maxAttempts !== null) input.maxAttempts = schedule.maxAttempts;
  if (schedule.timeoutMs !== null) input.timeoutMs = schedule.timeoutMs;
  if (schedule.projectId !== null) input.projectId = schedule.projectId;
  return input;
}

export class ScheduleRunner {
  /** The first pass's time (store clock): ticks before it are missed. */
  private startedAt: number | null = null;
  /**
   * Per schedule, its next tick as computed for its current cron, zone and lastTick: a
   * pass skips a schedule whose next tick has not come without asking croner again.
   */
  private readonly nextDue = new Map<string, { state: string; at: number }>();

  constructor(
    private readonly engine: ScheduleSubmitter,
    private readonly onRefused: (schedule: string, error: unknown) => void = () => {},
  ) {}

  /** One pass over every schedule; returns the jobs made. */
  async pass(): Promise<number> {
    const store = this.engine.store;
    const now = await store.now();
    this.startedAt ??= now;
    let made = 0;
    const seen = new Set<string>();
    for (const schedule of await store.schedules.listSchedules()) {
      seen.add(schedule.name);
      if (!schedule.enabled) continue;
      const due = this.nextDue.get(schedule.name);
      if (due && due.state === stateOf(schedule) && due.at > now) continue;
      made += await this.runSchedule(schedule, now, this.startedAt);
    }
    for (const name of this.nextDue.keys()) if (!seen.has(name)) this.nextDue.delete(name);
    return made;
  }

  private remember(schedule: ScheduleRecord): void {
    const [next] = nextTicks(schedule.cron, schedule.timezone, schedule.lastTick, 1);
    this.nextDue.set(schedule.name, { state: stateOf(schedule), at: next ?? Number.POSITIVE_INFINITY });
  }

  private async runSchedule(schedule: ScheduleRecord, now: number, startedAt: number): Promise<number> {
    const schedules = this.engine.store.schedules;
    const plan = planTicks({ ...schedule, startedAt, now, limit: ticksPerPassMax });
    const ticks = plan.catchUp === null ? plan.onTime : [plan.catchUp, ...plan.onTime];
    let current = schedule;
    if (plan.catchUp === null && plan.missedUntil !== null)
      current =
        (await schedules.recordScheduleTick({ name: schedule.name, tick: plan.missedUntil, run: null })) ??
        current;
    let made = 0;
    for (const tick of ticks) {
      if (current.overlap === 'skip' && (await this.stillRunning(current))) {
        current = (await schedules.recordScheduleTick({ name: current.name, tick, run: null })) ?? current;
        continue;
      }
      const job = await this.fire(current, tick);
      const recorded = await schedules.recordScheduleTick({
        name: current.name,
        tick,
        run: job ? { jobId: job.id, at: tick } : null,
      });
      if (!recorded) return made; // deleted meanwhile
      current = recorded;
      if (job) made++;
    }
    // Caught up: remembered until its next tick (a plan cut short by its limit is not).
    if (plan.onTime.length < ticksPerPassMax) this.remember(current);
    return made;
  }

  /** The tick's job, or null when the admission refused it (reported; the tick is passed). */
  private async fire(schedule: ScheduleRecord, tick: number): Promise<Job | null> {
    try {
      const { job } = await this.engine.submit(
        scheduleInput(schedule),
        schedulePrincipal(schedule),
        scheduleKey(schedule.name, tick),
      );
      return job;
    } catch (error) {
      // An outage: the tick stays due and the next pass tries it again.
      if (
        isStoreOutage(error) ||
        (error instanceof JobgateError && error.code === 'JOBGATE_ERR_STORE_UNAVAILABLE')
      )
        throw error;
      // Another server made this tick's job from another version of the definition.
      if (error instanceof JobgateError && error.code === 'JOBGATE_ERR_IDEMPOTENCY_CONFLICT') return null;
      this.onRefused(schedule.name, error);
      return null;
    }
  }

  private async stillRunning(schedule: ScheduleRecord): Promise<boolean> {
    if (schedule.lastJobId === null) return false;
    const job = await this.engine.store.get(schedule.lastJobId);
    return job !== null && activeStatuses.has(job.status);
  }
}
