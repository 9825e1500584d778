/**
 * When a failed webhook delivery is tried again. The schedule lists the delay after each
 * failed attempt (the default: 5 s, 30 s, 2 min, 15 min, 1 h, 3 h, 10 h — eight attempts
 * over about 14 hours), each scaled by a random factor in [1 - jitter, 1 + jitter] so a
 * receiver that comes back is not hit by every retry at once. A `Retry-After` from the
 * receiver (429, 503) pushes the next attempt later, never earlier.
 */
export interface DeliverySchedule {
  /** Delay in ms after attempt n (1-based) failed; attempts = delays.length + 1. */
  delaysMs: number[];
  jitter: number;
}

export const deliveryScheduleDefault: DeliverySchedule = {
  delaysMs: [5_000, 30_000, 120_000, 900_000, 3_600_000, 10_800_000, 36_000_000],
  jitter: 0.2,
};

/** A Retry-After longer than this is read as this (a receiver cannot park a delivery for days). */
export const retryAfterMaxMs = 24 * 3_600_000;

export function validateDeliverySchedule(schedule: DeliverySchedule): DeliverySchedule {
  if (schedule.delaysMs.some((d) => !(d >= 0))) throw new Error('webhooks.retryDelaysMs must be >= 0');
  if (!(schedule.jitter >= 0 && schedule.jitter < 1))
    throw new Error('webhooks.jitter must be within [0, 1)');
  return schedule;
}

/**
 * The delay before the attempt after `attempt` (1-based) failed, or null when the
 * attempts are spent. `retryAfterMs` is the receiver's Retry-After, if any.
 */
export function nextDeliveryDelay(
  attempt: number,
  schedule: DeliverySchedule,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number | null {
  const base = schedule.delaysMs[attempt - 1];
  if (base === undefined) return null;
  const jittered = Math.round(base * (1 + schedule.jitter * (2 * random() - 1)));
  return retryAfterMs === null ? jittered : Math.max(jittered, Math.min(retryAfterMs, retryAfterMaxMs));
}

/** Retry-After as ms from `now`: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: number): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
