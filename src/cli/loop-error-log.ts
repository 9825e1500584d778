/**
 * How background loops (pools, webhooks, artifact sweeps) report failures: a store outage
 * is said once per loop per minute ("store unavailable, retrying") — the loops retry on
 * their own and the startup line or /health already says the store is away — while any
 * other failure is logged each time it happens.
 */
import { isStoreOutage } from '../store/store-errors.js';

export const outageRepeatMsDefault = 60_000;

export function loopErrorLog(
  log: (line: string) => void,
  repeatMs = outageRepeatMsDefault,
): (loop: string) => (error: unknown) => void {
  const lastOutage = new Map<string, number>();
  return (loop) => (error) => {
    if (!isStoreOutage(error)) {
      log(`${loop}: ${String(error)}`);
      return;
    }
    const now = Date.now();
    const at = lastOutage.get(loop);
    if (at !== undefined && now - at < repeatMs) return;
    lastOutage.set(loop, now);
    log(`${loop}: store unavailable, retrying (${(error as Error).message})`);
  };
}
