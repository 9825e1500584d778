/**
 * One attempt of a job as its history keeps it: recorded by the store in the same atomic
 * call that ends the lease (completed, failed, cancelled, reaped, released), so the
 * history never disagrees with the job. Bounded: the last `attemptHistoryKeep` attempts,
 * and a count of the older ones dropped.
 */
import type { JobError } from './job.js';

export const attemptHistoryKeep = 20;

export type AttemptOutcome = 'completed' | 'failed' | 'timed_out' | 'lease_lost' | 'cancelled' | 'released';

export interface AttemptRecord {
  attempt: number;
  workerId: string | null;
  /** When the job was due for this attempt (epoch ms): queue wait = startedAt − runAt. */
  runAt: number | null;
  startedAt: number;
  endedAt: number;
  outcome: AttemptOutcome;
  error: JobError | null;
}

export interface AttemptHistory {
  items: AttemptRecord[];
  /** Older attempts no longer kept. */
  dropped: number;
}

/** A worker's timeout is reported as a failure whose message says so (see queue-worker.ts). */
const timedOut = /^Timed out after /;

/** The stored outcome as the API names it: a timed-out failure reads `timed_out`. */
function outcomeOf(stored: string, error: JobError | null): AttemptOutcome {
  if ((stored === 'failed' || stored === 'scheduled') && error && timedOut.test(error.message))
    return 'timed_out';
  if (stored === 'scheduled') return 'failed';
  return stored as AttemptOutcome;
}

/** Parses the stored history (a JSON array, oldest first); null or unreadable reads as none. */
export function parseAttemptHistory(text: string | null | undefined, dropped: number): AttemptHistory {
  if (!text) return { items: [], dropped };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { items: [], dropped };
  }
  if (!Array.isArray(raw)) return { items: [], dropped };
  const items = raw.map((entry: Record<string, unknown>) => {
    const error = (entry.error ?? null) as JobError | null;
    return {
      attempt: Number(entry.attempt ?? 0),
      workerId: typeof entry.workerId === 'string' ? entry.workerId : null,
      runAt: typeof entry.runAt === 'number' ? entry.runAt : null,
      startedAt: Number(entry.startedAt),
      endedAt: Number(entry.endedAt),
      outcome: outcomeOf(String(entry.outcome), error),
      error,
    };
  });
  return { items, dropped };
}

/** Appends one attempt to a stored history, keeping the last `attemptHistoryKeep`. */
export function appendAttempt(
  text: string | null,
  dropped: number,
  record: Omit<AttemptRecord, 'outcome'> & { outcome: string },
): { text: string; dropped: number } {
  const items = text ? (JSON.parse(text) as unknown[]) : [];
  items.push(record);
  const over = Math.max(0, items.length - attemptHistoryKeep);
  return { text: JSON.stringify(items.slice(over)), dropped: dropped + over };
}
