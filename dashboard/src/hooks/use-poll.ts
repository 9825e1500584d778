/**
 * Loads data now and again every `intervalMs` (null = once), one request at a time:
 * the next starts `intervalMs` after the previous answered, and none runs while the
 * tab is hidden, so a slow server or a background tab never piles requests up.
 * `reload()` asks for a fresh load at once; calls closer than `minGapMs` are merged.
 */
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Polled<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload: () => void;
  /** Replace the data in place (a live event patched it). */
  setData: (update: (current: T | null) => T | null) => void;
}

export function usePoll<T>(
  load: () => Promise<T>,
  intervalMs: number | null,
  deps: readonly unknown[],
  minGapMs = 1_000,
): Polled<T> {
  const [data, setDataState] = useState<T | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [loading, setLoading] = useState(true);
  const kick = useRef<() => void>(() => {});

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    let again = false;
    let lastStart = 0;
    setLoading(true);
    setDataState(null);
    setError(null);

    const run = async () => {
      if (stopped) return;
      if (inFlight) {
        again = true;
        return;
      }
      clearTimeout(timer);
      inFlight = true;
      lastStart = Date.now();
      try {
        const value = await load();
        if (!stopped) {
          setDataState(value);
          setError(null);
        }
      } catch (failure) {
        if (!stopped) setError(failure as Error);
      } finally {
        inFlight = false;
        if (!stopped) setLoading(false);
      }
      if (stopped) return;
      if (again) {
        again = false;
        schedule(minGapMs);
      } else if (intervalMs !== null) schedule(intervalMs);
    };
    const schedule = (ms: number) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (document.hidden) return;
        void run();
      }, ms);
    };
    const onVisible = () => {
      if (!document.hidden && intervalMs !== null) void run();
    };
    kick.current = () => {
      if (inFlight) again = true;
      else schedule(Math.max(0, minGapMs - (Date.now() - lastStart)));
    };
    document.addEventListener('visibilitychange', onVisible);
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
    // biome-ignore lint/correctness/useExhaustiveDependencies: the caller's `deps` name what `load` reads.
  }, deps);

  const reload = useCallback(() => kick.current(), []);
  const setData = useCallback((update: (current: T | null) => T | null) => setDataState(update), []);
  return { data, error, loading, reload, setData };
}
