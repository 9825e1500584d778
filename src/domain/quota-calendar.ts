/** Days for daily quotas: day n starts at n × 24 h + the reset offset (UTC by default). */
export const DAY_MS = 86_400_000;

export function dayIndex(epochMs: number, resetOffsetMs: number): number {
  return Math.floor((epochMs - resetOffsetMs) / DAY_MS);
}

export function dayStart(day: number, resetOffsetMs: number): number {
  return day * DAY_MS + resetOffsetMs;
}

/** How far ahead a quota-deferred job may be placed before admission gives up. */
export const quotaHorizonDays = 366;
