/**
 * Throughput, success rate, run time and wait time of a queue over the last hour and
 * the last day, computed from the finished jobs the store still holds
 * (`store.finishedSince`). Definitions (docs/VISIBILITY.md has them too):
 *
 *   throughputPerMinute  completed jobs per minute over the window
 *   successRate          completed / (completed + failed); cancelled jobs are the
 *                        caller's choice, not an outcome, and are left out; null when
 *                        neither happened
 *   runTimeMs            finishedAt − startedAt of completed and failed jobs that ran
 *   waitTimeMs           startedAt − createdAt of the same jobs: submit to the start of
 *                        the last attempt, delays and retries included
 *
 * Percentiles are nearest-rank. The store returns at most `sampleLimit` jobs per
 * window (newest first); `truncated` says the window held more, and the figures then
 * describe the newest `sampleLimit` of them. The purger bounds what a day can show
 * (completed jobs are kept 24 h by default).
 */
import type { FinishedSample } from '../store/store.js';
import { readDeadlineMsDefault, withDeadline } from './deadline.js';
import type { Engine } from './engine.js';

export interface Percentiles {
  p50: number;
  p95: number;
}

export interface StatsWindow {
  /** Start of the window, epoch ms. */
  since: number;
  completed: number;
  failed: number;
  cancelled: number;
  throughputPerMinute: number;
  successRate: number | null;
  runTimeMs: Percentiles | null;
  waitTimeMs: Percentiles | null;
  truncated: boolean;
}

export interface QueueStats {
  queue: string;
  /** The store's clock when the figures were taken, epoch ms. */
  at: number;
  windows: { hour: StatsWindow; day: StatsWindow };
}

export const statsWindowsMs = { hour: 3600_000, day: 24 * 3600_000 } as const;
export const sampleLimitDefault = 50_000;

/** Nearest-rank percentile of sorted values; `q` in (0, 1]. */
export function percentile(sorted: readonly number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

function percentiles(values: number[]): Percentiles | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95) };
}

/** Figures of one window from samples that all finished at or after `since`. */
export function summarize(
  samples: readonly FinishedSample[],
  window: { since: number; lengthMs: number; truncated: boolean },
): StatsWindow {
  let completed = 0;
  let failed = 0;
  let cancelled = 0;
  const runs: number[] = [];
  const waits: number[] = [];
  for (const sample of samples) {
    if (sample.status === 'completed') completed++;
    else if (sample.status === 'failed') failed++;
    else cancelled++;
    if (sample.status !== 'cancelled' && sample.startedAt !== null) {
      runs.push(Math.max(0, sample.finishedAt - sample.startedAt));
      waits.push(Math.max(0, sample.startedAt - sample.createdAt));
    }
  }
  const outcomes = completed + failed;
  return {
    since: window.since,
    completed,
    failed,
    cancelled,
    throughputPerMinute: round(completed / (window.lengthMs / 60_000)),
    successRate: outcomes === 0 ? null : round(completed / outcomes),
    runTimeMs: percentiles(runs),
    waitTimeMs: percentiles(waits),
    truncated: window.truncated,
  };
}

const round = (value: number) => Math.round(value * 1000) / 1000;

export async function queueStats(
  engine: Engine,
  queue: string,
  options: { sampleLimit?: number; deadlineMs?: number } = {},
): Promise<QueueStats> {
  const limit = options.sampleLimit ?? sampleLimitDefault;
  const deadlineMs = options.deadlineMs ?? readDeadlineMsDefault;
  const at = await withDeadline(engine.store.now(), deadlineMs, 'its clock');
  const daySince = at - statsWindowsMs.day;
  const hourSince = at - statsWindowsMs.hour;
  // One read for the day; the hour is its newest part. A truncated day may not reach back an hour,
  // so the hour is read on its own then.
  const day = await withDeadline(
    engine.store.finishedSince({ queue, since: daySince, limit }),
    deadlineMs,
    'the finished jobs',
  );
  const dayTruncated = day.length >= limit;
  const hour = dayTruncated
    ? await withDeadline(
        engine.store.finishedSince({ queue, since: hourSince, limit }),
        deadlineMs,
        'the finished jobs',
      )
    : day.filter((sample) => sample.finishedAt >= hourSince);
  return {
    queue,
    at,
    windows: {
      hour: summarize(hour, {
        since: hourSince,
        lengthMs: statsWindowsMs.hour,
        truncated: hour.length >= limit,
      }),
      day: summarize(day, { since: daySince, lengthMs: statsWindowsMs.day, truncated: dayTruncated }),
    },
  };
}
