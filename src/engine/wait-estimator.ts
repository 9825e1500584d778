/**
 * Estimated wait for a queued job: learned run durations per (queue, type) as an
 * exponentially weighted mean, and the queue's capacity.
 *
 *   free = capacity − running          (slots that can start a job right now)
 *   wait = 0                           when position ≤ free
 *        ≈ (position − free) × meanRun / capacity   otherwise
 *
 * (the jobs ahead drain at `capacity` jobs per mean run). Millisecond resolution: with
 * short jobs, rounding to tenths of a second would turn every estimate into 0.
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

  estimate(
    queue: string,
    type: string,
    position: number,
    capacity: number,
    running = capacity,
  ): WaitEstimate {
    const mean = this.meanRunMs(queue, type);
    const slots = Math.max(1, capacity);
    const free = Math.max(0, slots - running);
    const ms = position <= free ? 0 : ((position - free) * mean.value) / slots;
    const confidence = mean.samples >= 30 ? 'high' : mean.samples >= 5 ? 'medium' : 'low';
    return { seconds: Math.round(ms) / 1000, confidence };
  }
}
