/**
 * One queue's pool: the workers it started and the decisions over them. It holds no
 * timers and does no I/O; the pool manager feeds it the registry's view and the queue
 * depth on every tick and carries out what `plan` returns.
 *
 * A member's phase, as the pool sees it:
 *   initializing  started; has not registered yet (or is still loading)
 *   live          registered and taking jobs
 *   stopping      asked to drain and exit; still counts against `max` until it is gone
 *
 * Rules: never more members than `max` (stopping ones included); at least `min`
 * unless starts are held back after crashes; start more while queued jobs exceed
 * the free slots (initializing members' slots count as free, so a cold start is not
 * doubled); stop a member idle for `idleTimeoutSec` while more than `min` remain and
 * the queued jobs still fit the other free slots.
 */
import type { WorkerRecord } from '../store/store.js';

export interface PoolSettings {
  min: number;
  max: number;
  idleTimeoutSec: number;
  /** Jobs one worker runs at once; default 1. */
  concurrency?: number;
  handlers?: string;
  command?: string;
}

export type MemberPhase = 'initializing' | 'live' | 'stopping';

export interface Member {
  id: string;
  phase: MemberPhase;
  startedAt: number;
  liveSince: number | null;
  /** Since when it has run nothing; null while it runs a job or has not registered. */
  idleSince: number | null;
}

export interface Plan {
  /** Members to start. */
  start: number;
  /** Members to stop (drain, then exit). */
  stop: string[];
  /** Those of `stop` that failed (never registered in time, went silent): they count as crashes. */
  failed: string[];
  /** Members that registered since the last plan, with the time from their spawn to it. */
  live: Array<{ id: string; startMs: number }>;
}

export interface Observation {
  now: number;
  queued: number;
  /** The registry's records of this pool's members, state derived. */
  records: ReadonlyMap<string, WorkerRecord>;
  /** No start before this time (crash backoff). */
  holdStartsUntil: number;
  /** An initializing member older than this is stopped as failed. */
  startTimeoutMs: number;
}

export class QueuePool {
  readonly queue: string;
  settings: PoolSettings;
  readonly members = new Map<string, Member>();

  constructor(queue: string, settings: PoolSettings) {
    this.queue = queue;
    this.settings = { ...settings };
    validatePoolSettings(queue, this.settings);
  }

  get concurrency(): number {
    return this.settings.concurrency ?? 1;
  }

  /** Members not stopping. */
  active(): Member[] {
    return [...this.members.values()].filter((member) => member.phase !== 'stopping');
  }

  /** Brings the members' phases up to date, then decides what to start and stop. */
  plan(seen: Observation): Plan {
    const { now, records } = seen;
    const failed: string[] = [];
    const live: Plan['live'] = [];
    for (const member of this.members.values()) {
      if (member.phase === 'stopping') continue;
      const record = records.get(member.id);
      const state = record?.state;
      if (member.phase === 'initializing') {
        if (state === 'ready' || state === 'idle' || state === 'running') {
          member.phase = 'live';
          member.liveSince = now;
          // The worker's own registration stamps its record's startedAt: spawn → registered.
          const registeredAt = record!.startedAt > member.startedAt ? record!.startedAt : now;
          live.push({ id: member.id, startMs: registeredAt - member.startedAt });
        } else if (now - member.startedAt > seen.startTimeoutMs) {
          failed.push(member.id);
          continue;
        }
      }
      if (member.phase !== 'live') continue;
      if (state === 'dead' || state === 'draining' || !record) {
        // Silent too long (hung), leaving on its own, or its record is gone: make sure it goes.
        failed.push(member.id);
        continue;
      }
      member.idleSince = record.running > 0 ? null : (member.idleSince ?? now);
    }

    const active = this.active().filter((member) => !failed.includes(member.id));
    const runningOf = (member: Member) =>
      member.phase === 'live' ? Math.min(this.concurrency, records.get(member.id)?.running ?? 0) : 0;
    let free = active.reduce((sum, member) => sum + this.concurrency - runningOf(member), 0);
    const { min, max, idleTimeoutSec } = this.settings;
    const wanted = seen.queued > free ? Math.ceil((seen.queued - free) / this.concurrency) : 0;
    const room = max - (this.members.size - failed.length);
    const start =
      now < seen.holdStartsUntil ? 0 : Math.max(0, Math.min(Math.max(min - active.length, wanted), room));
    if (start > 0) return { start, stop: failed, failed, live };

    const stop = [...failed];
    // Longest idle first; members running a job or starting last, the youngest of them first.
    const byIdle = [...active].sort((a, b) => idleRank(a) - idleRank(b) || b.startedAt - a.startedAt);
    let remaining = active.length;
    for (const member of byIdle) {
      if (remaining <= max) break;
      // Over max (lowered live).
      stop.push(member.id);
      free -= this.concurrency - runningOf(member);
      remaining--;
    }
    for (const member of byIdle) {
      // Idle too long: down to min, as long as the queued jobs fit the slots left.
      if (remaining <= min) break;
      if (stop.includes(member.id) || member.idleSince === null) continue;
      if (now - member.idleSince < idleTimeoutSec * 1000) continue;
      if (seen.queued > free - this.concurrency) break;
      stop.push(member.id);
      free -= this.concurrency;
      remaining--;
    }
    return { start: 0, stop, failed, live };
  }
}

function idleRank(member: Member): number {
  return member.idleSince ?? Number.MAX_SAFE_INTEGER;
}

export function validatePoolSettings(queue: string, settings: PoolSettings): void {
  const where = `queues.${queue}.pool`;
  if (!Number.isInteger(settings.min) || settings.min < 0)
    throw new Error(`${where}.min must be an integer >= 0`);
  if (!Number.isInteger(settings.max) || settings.max < 1)
    throw new Error(`${where}.max must be an integer >= 1`);
  if (settings.min > settings.max) throw new Error(`${where}.min must be <= max`);
  if (!(settings.idleTimeoutSec > 0)) throw new Error(`${where}.idleTimeoutSec must be above zero`);
  const concurrency = settings.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error(`${where}.concurrency must be a positive integer`);
  if (!settings.handlers && !settings.command)
    throw new Error(`${where} needs handlers (a module) or command (a shell command)`);
}
