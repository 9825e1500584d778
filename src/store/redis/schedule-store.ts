/**
 * Schedules on Redis (store/schedule-store.ts). Every schedule lives in one slot,
 * `<prefix>:{s}` (schedules are few, and a listing reads them all): a hash per schedule,
 * `<base>:sch:<name>`, holding one field per definition field (a null is an absent
 * field, the payload as JSON) and the state (lastTick, lastJobId, lastRunAt), and the set
 * of names `<base>:schedules`. Writes are the schedule_*.lua scripts.
 */
import type { Cluster, Redis } from 'ioredis';
import type { ScheduleDefinition, SchedulePatch, ScheduleRecord, ScheduleStore } from '../schedule-store.js';
import { storeFailure } from '../store-errors.js';
import type { ScriptName } from './generated/scripts.js';

type Run = (name: ScriptName, base: string, ...args: Array<string | number>) => Promise<unknown>;

const num = (value: string | undefined): number | null => (value === undefined ? null : Number(value));

function toRecord(flat: string[]): ScheduleRecord {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i]!] = flat[i + 1]!;
  return {
    name: f.name!,
    cron: f.cron!,
    timezone: f.timezone!,
    queue: f.queue!,
    type: f.type!,
    payload: f.payload === undefined ? null : JSON.parse(f.payload),
    priority: Number(f.priority),
    maxAttempts: num(f.maxAttempts),
    timeoutMs: num(f.timeoutMs),
    projectId: f.projectId ?? null,
    owner: f.owner!,
    tier: f.tier!,
    enabled: f.enabled === '1',
    overlap: f.overlap as ScheduleRecord['overlap'],
    missed: f.missed as ScheduleRecord['missed'],
    createdAt: Number(f.createdAt),
    updatedAt: Number(f.updatedAt),
    lastTick: Number(f.lastTick),
    lastJobId: f.lastJobId ?? null,
    lastRunAt: num(f.lastRunAt),
  };
}

/** Field/value pairs of the given fields; "" stands for null (the script removes the field). */
function fieldPairs(patch: SchedulePatch): string[] {
  const pairs: string[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    let text: string;
    if (field === 'payload') text = JSON.stringify(value ?? null);
    else if (field === 'enabled') text = value ? '1' : '0';
    else text = value === null ? '' : String(value);
    pairs.push(field, text);
  }
  return pairs;
}

export class RedisSchedules implements ScheduleStore {
  constructor(
    private readonly redis: Redis | Cluster,
    /** The schedules slot, `<prefix>:{s}`. */
    private readonly base: string,
    private readonly run: Run,
  ) {}

  private async write(
    name: string,
    mode: 'create' | 'upsert' | 'update',
    patch: SchedulePatch,
  ): Promise<ScheduleRecord | null> {
    const reply = (await this.run('scheduleWrite', this.base, name, mode, ...fieldPairs(patch))) as
      | string[]
      | null;
    if (reply === null) return null;
    if (reply[0] === 'error') throw storeFailure('schedule_exists', { name });
    return toRecord(reply);
  }

  async createSchedule(definition: ScheduleDefinition): Promise<ScheduleRecord> {
    const { name, ...fields } = definition;
    return (await this.write(name, 'create', fields))!;
  }

  async upsertSchedule(definition: ScheduleDefinition): Promise<ScheduleRecord> {
    const { name, ...fields } = definition;
    return (await this.write(name, 'upsert', fields))!;
  }

  updateSchedule({ name, patch }: { name: string; patch: SchedulePatch }): Promise<ScheduleRecord | null> {
    return this.write(name, 'update', patch);
  }

  async getSchedule(name: string): Promise<ScheduleRecord | null> {
    const flat = await this.redis.hgetall(`${this.base}:sch:${name}`);
    return flat.name === undefined ? null : toRecord(Object.entries(flat).flat());
  }

  async listSchedules(): Promise<ScheduleRecord[]> {
    const names = (await this.redis.smembers(`${this.base}:schedules`)).sort();
    const records = await Promise.all(names.map((name) => this.getSchedule(name)));
    return records.filter((record): record is ScheduleRecord => record !== null);
  }

  async deleteSchedule(name: string): Promise<boolean> {
    return Number(await this.run('scheduleDelete', this.base, name)) === 1;
  }

  async recordScheduleTick(request: {
    name: string;
    tick: number | null;
    run: { jobId: string; at: number } | null;
  }): Promise<ScheduleRecord | null> {
    const reply = (await this.run(
      'scheduleRecordTick',
      this.base,
      request.name,
      request.tick === null ? '' : String(request.tick),
      request.run?.jobId ?? '',
      request.run ? String(request.run.at) : '',
    )) as string[] | null;
    return reply === null ? null : toRecord(reply);
  }
}
