/**
 * Estimated wait for a queued job: learned run durations per (queue, type) as an
 * exponentially weighted mean, and the queue's capacity.
 *
 *   wait ≈ ceil(position / capacity) × meanRun  (the jobs ahead run `capacity` at a time)
 *
 * Confidence follows the samples behind the mean: < 5 low, < 30 medium, else high.
 * A queue with no samples yet uses the queue-wide mean, then a prior of 1 s (low).
 * Samples are kept per server process; every server learns from the events it sees.
 */
export interface WaitEstimate {
  seconds: number;
  confidence: 'low' | 'medium' | 'high';
}

interface Mean {
  value: number;
  samples: number;
}

export const ewmaAlpha = 0.2;
const priorMs = 1_000;

export class WaitEstimator {
  private readonly means = new Map<string, Mean>();

  record(queue: string, type: string, runMs: number): void {
    if (!(runMs >= 0)) return;
    for (const key of [`${queue}\u0000${type}`, queue]) {
      const mean = this.means.get(key);
      if (!mean) this.means.set(key, { value: runMs, samples: 1 });
      else
        this.means.set(key, {
          value: mean.value + ewmaAlpha * (runMs - mean.value),
          samples: mean.samples + 1,
        });
    }
  }

  meanRunMs(queue: string, type: string): Mean {
    return this.means.get(`${queue}\u0000${type}`) ?? this.means.get(queue) ?? { value: priorMs, samples: 0 };
  }

  estimate(queue: string, type: string, position: number, capacity: number): WaitEstimate {
    const mean = this.meanRunMs(queue, type);
    const rounds = Math.ceil(position / Math.max(1, capacity));
    // The job starts when the round before it ends: (rounds - 1) full runs, plus half a run for the one in flight.
    const ms = Math.max(0, rounds - 1) * mean.value + (position > 0 ? mean.value / 2 : 0);
    const confidence = mean.samples >= 30 ? 'high' : mean.samples >= 5 ? 'medium' : 'low';
    return { seconds: Math.round(ms / 100) / 10, confidence };
  }
}
