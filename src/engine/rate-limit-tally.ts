/**
 * Requests each owner had refused by the per-key rate limit, counted per minute in
 * this server's memory (so per server, and from its start). Kept for `windowMs` and
 * pruned as it goes, so an owner hammering the API costs at most one entry a minute.
 */
export const tallyWindowMsDefault = 25 * 3600_000;
const minuteMs = 60_000;

export class RateLimitTally {
  /** owner → minute number → refusals. */
  private readonly counts = new Map<string, Map<number, number>>();
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: { windowMs?: number; now?: () => number } = {}) {
    this.windowMs = options.windowMs ?? tallyWindowMsDefault;
    this.now = options.now ?? Date.now;
  }

  record(owner: string): void {
    const minute = Math.floor(this.now() / minuteMs);
    let minutes = this.counts.get(owner);
    if (!minutes) {
      minutes = new Map();
      this.counts.set(owner, minutes);
    }
    minutes.set(minute, (minutes.get(minute) ?? 0) + 1);
    if (minutes.size > this.windowMs / minuteMs + 1) this.prune(minutes);
  }

  /** Refusals of `owner` since `since` (epoch ms; to the minute). */
  since(owner: string, since: number): number {
    const minutes = this.counts.get(owner);
    if (!minutes) return 0;
    const from = Math.floor(since / minuteMs);
    let total = 0;
    for (const [minute, count] of minutes) if (minute >= from) total += count;
    return total;
  }

  private prune(minutes: Map<number, number>): void {
    const oldest = Math.floor((this.now() - this.windowMs) / minuteMs);
    for (const minute of minutes.keys()) if (minute < oldest) minutes.delete(minute);
  }
}
