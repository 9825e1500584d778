/** Exponential backoff with jitter (half fixed, half random), and a sleep an AbortSignal cuts short. */

export interface BackoffSettings {
  /** First delay; default 500 ms. */
  baseMs: number;
  /** Largest delay; default 30 s. */
  maxMs: number;
}

export const backoffDefault: BackoffSettings = { baseMs: 500, maxMs: 30_000 };

export class Backoff {
  private readonly settings: BackoffSettings;
  private failures = 0;

  constructor(settings: BackoffSettings = backoffDefault) {
    if (!(settings.baseMs > 0) || !(settings.maxMs >= settings.baseMs))
      throw new Error('backoff needs 0 < baseMs <= maxMs');
    this.settings = settings;
  }

  get failing(): boolean {
    return this.failures > 0;
  }

  /** Counts a failure and returns how long to wait before the next try. */
  fail(): number {
    this.failures++;
    const ceiling = Math.min(this.settings.maxMs, this.settings.baseMs * 2 ** (this.failures - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  reset(): void {
    this.failures = 0;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
