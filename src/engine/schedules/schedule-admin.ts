/**
 * Schedules as the API and the config file manage them: create, change, pause/resume,
 * delete, run now, and the view with the next runs and the last run's status. A tenant
 * manages its own schedules (their jobs are its jobs); any other is 404 to it, as jobs are.
 */
import { JobgateError } from '../../domain/errors.js';
import type { JobStatus } from '../../domain/job-states.js';
import { nextTicks } from '../../domain/schedule-ticks.js';
import type { SchedulePatch, ScheduleRecord } from '../../store/schedule-store.js';
import type { Engine } from '../engine.js';
import type { Principal } from '../principal.js';
import { checkPatch, type ScheduleInput, toDefinition } from './schedule-input.js';
import { scheduleInput, schedulePrincipal } from './schedule-runner.js';

export interface ScheduleView extends ScheduleRecord {
  /** The next five ticks (none while paused). */
  nextRuns: number[];
  lastRun: { jobId: string; at: number; status: JobStatus | null } | null;
}

export const nextRunsShown = 5;

const notFound = (name: string) =>
  new JobgateError('JOBGATE_ERR_SCHEDULE_NOT_FOUND', `No schedule ${name}`, { details: { name } });

export class ScheduleAdmin {
  constructor(
    private readonly engine: Engine,
    /** The configured tiers; any tier when absent (single-tenant use). */
    private readonly tiers?: readonly string[],
  ) {}

  private get schedules() {
    return this.engine.store.schedules;
  }

  /** The schedule when the principal may see it. */
  private async find(name: string, principal: Principal): Promise<ScheduleRecord> {
    const record = await this.schedules.getSchedule(name);
    if (!record || (principal.role !== 'admin' && record.owner !== principal.owner)) throw notFound(name);
    return record;
  }

  /** A tenant's schedules are its own: owner and tier are its key's. */
  private ownerOf(input: Partial<Pick<ScheduleInput, 'owner' | 'tier'>>, principal: Principal) {
    if (principal.role === 'admin') {
      const tier = input.tier ?? principal.tier;
      if (input.tier !== undefined && this.tiers && !this.tiers.includes(tier))
        throw new JobgateError('JOBGATE_ERR_VALIDATION', `tier "${tier}" is not configured`, {
          details: { field: 'tier', tiers: this.tiers },
        });
      return { owner: input.owner ?? principal.owner, tier };
    }
    if ((input.owner !== undefined && input.owner !== principal.owner) || input.tier !== undefined)
      throw new JobgateError(
        'JOBGATE_ERR_FORBIDDEN',
        'A tenant key schedules jobs of its own owner and tier',
        {
          details: { field: input.owner !== undefined ? 'owner' : 'tier' },
        },
      );
    return { owner: principal.owner, tier: principal.tier };
  }

  async view(record: ScheduleRecord): Promise<ScheduleView> {
    const now = await this.engine.store.now();
    const nextRuns = record.enabled
      ? nextTicks(record.cron, record.timezone, Math.max(now, record.lastTick), nextRunsShown)
      : [];
    let lastRun: ScheduleView['lastRun'] = null;
    if (record.lastJobId !== null && record.lastRunAt !== null) {
      const job = await this.engine.store.get(record.lastJobId);
      lastRun = { jobId: record.lastJobId, at: record.lastRunAt, status: job?.status ?? null };
    }
    return { ...record, nextRuns, lastRun };
  }

  async create(
    input: Omit<ScheduleInput, 'owner' | 'tier'> & Partial<Pick<ScheduleInput, 'owner' | 'tier'>>,
    principal: Principal,
  ): Promise<ScheduleView> {
    const definition = toDefinition({ ...input, ...this.ownerOf(input, principal) });
    return this.view(await this.schedules.createSchedule(definition));
  }

  /** The config file's schedules: created, or their definition replaced (their state kept). */
  async upsert(input: ScheduleInput): Promise<ScheduleRecord> {
    return this.schedules.upsertSchedule(toDefinition(input));
  }

  async list(principal: Principal): Promise<ScheduleView[]> {
    const all = await this.schedules.listSchedules();
    const mine = principal.role === 'admin' ? all : all.filter((record) => record.owner === principal.owner);
    return Promise.all(mine.map((record) => this.view(record)));
  }

  async get(name: string, principal: Principal): Promise<ScheduleView> {
    return this.view(await this.find(name, principal));
  }

  async update(name: string, patch: SchedulePatch, principal: Principal): Promise<ScheduleView> {
    const current = await this.find(name, principal);
    const owned = patch.owner !== undefined || patch.tier !== undefined ? this.ownerOf(patch, principal) : {};
    const updated = await this.schedules.updateSchedule({
      name,
      patch: checkPatch(current, { ...patch, ...owned }),
    });
    if (!updated) throw notFound(name);
    return this.view(updated);
  }

  setEnabled(name: string, enabled: boolean, principal: Principal): Promise<ScheduleView> {
    return this.update(name, { enabled }, principal);
  }

  async remove(name: string, principal: Principal): Promise<void> {
    await this.find(name, principal);
    if (!(await this.schedules.deleteSchedule(name))) throw notFound(name);
  }

  /** A job now, outside the cron (no tick is used up); it becomes the last run. */
  async runNow(name: string, principal: Principal): Promise<{ jobId: string; schedule: ScheduleView }> {
    const record = await this.find(name, principal);
    const { job } = await this.engine.submit(scheduleInput(record), schedulePrincipal(record));
    const at = await this.engine.store.now();
    const updated = await this.schedules.recordScheduleTick({ name, tick: null, run: { jobId: job.id, at } });
    return { jobId: job.id, schedule: await this.view(updated ?? record) };
  }
}
