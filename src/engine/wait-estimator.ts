/**
 * Learned run durations per (queue, type): an exponentially weighted mean (α = 0.2) of
 * real runs (finishedAt − startedAt of completed jobs), falling back to the queue-wide
 * mean, then to a prior of 1 s with no samples. The wait formula that uses them is
 * domain/wait-estimate.ts. Samples are kept per server process; every server learns from
 * the events it sees.
 */
export interface Mean {
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
}
