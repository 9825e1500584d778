/**
 * Cron ticks of a schedule, read by croner in the schedule's IANA time zone, and the
 * plan of which ticks a pass of the schedule service fires (docs/SCHEDULES.md).
 *
 * Time zones and DST are croner's: a wall time that a spring-forward skips (02:30 in
 * Europe/Berlin on the last Sunday of March) fires once at the first valid time after
 * the gap (03:00 CEST); a wall time that a fall-back repeats fires once, at its first
 * occurrence (02:30 CEST), for a pattern with fixed hours — a pattern with a step in the
 * hour field (`*` or `*\/n`) fires in both hours, as the clock shows them twice.
 *
 * Ticks are whole instants (epoch ms); a tick is the job's identity per schedule.
 */
import { Cron } from 'croner';

export const CRON_FIELDS = [5, 6] as const;

/** Why a cron expression or time zone is refused; null when it is fine. */
export function cronProblem(cron: string, timezone: string): { field: string; message: string } | null {
  if (typeof cron !== 'string') return { field: 'cron', message: 'must be a string' };
  const fields = cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6)
    return { field: 'cron', message: 'must have 5 fields (minute precision) or 6 (seconds first)' };
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    return { field: 'timezone', message: `is not an IANA time zone: ${timezone}` };
  }
  try {
    const next = new Cron(cron, { timezone, paused: true }).nextRun();
    if (next === null) return { field: 'cron', message: 'never fires' };
  } catch (error) {
    return { field: 'cron', message: (error as Error).message.replace(/^CronPattern: /, '') };
  }
  return null;
}

const cronOf = (cron: string, timezone: string) => new Cron(cron, { timezone, paused: true });

/** The next `count` ticks strictly after `after`. */
export function nextTicks(cron: string, timezone: string, after: number, count: number): number[] {
  return cronOf(cron, timezone)
    .nextRuns(count, new Date(after))
    .map((date) => date.getTime());
}

export interface TickPlanInput {
  cron: string;
  timezone: string;
  /** Every tick up to here was handled. */
  lastTick: number;
  /** When the service started: a due tick before it fell while no server ran (missed). */
  startedAt: number;
  now: number;
  missed: 'skip' | 'catch-up-one';
  /** On-time ticks in one plan at most (the rest come in the next pass). */
  limit: number;
}

export interface TickPlan {
  /** The latest missed tick, fired once for all missed ones (catch-up-one); null when none. */
  catchUp: number | null;
  /** Missed ticks end here: the state moves past them even when none fires (skip). */
  missedUntil: number | null;
  /** Due ticks since the service started, oldest first: each fires. */
  onTime: number[];
}

export function planTicks(input: TickPlanInput): TickPlan {
  const cron = cronOf(input.cron, input.timezone);
  let from = input.lastTick;
  let catchUp: number | null = null;
  let missedUntil: number | null = null;
  // Only a schedule handled last before the start can have missed ticks (saves a search back).
  const [latestMissed] =
    input.lastTick < input.startedAt
      ? cron.previousRuns(1, new Date(Math.min(input.startedAt, input.now)))
      : [];
  if (latestMissed && latestMissed.getTime() > input.lastTick) {
    missedUntil = latestMissed.getTime();
    if (input.missed === 'catch-up-one') catchUp = missedUntil;
    from = missedUntil;
  }
  const onTime: number[] = [];
  while (onTime.length < input.limit) {
    const next = cron.nextRun(new Date(from));
    if (!next || next.getTime() > input.now) break;
    onTime.push(next.getTime());
    from = next.getTime();
  }
  return { catchUp, missedUntil, onTime };
}
