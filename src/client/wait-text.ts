/**
 * An estimated wait in words, the same on every screen that shows one (the dashboard,
 * `jobgate status`, `jobgate submit`): a time with its confidence, or why none can be given.
 */
import type { EstimatedWait } from './types.js';

/** Seconds as people read a wait: tenths under 10 s, then whole seconds and minutes. */
export function waitSeconds(seconds: number): string {
  if (seconds < 10) return `${Math.round(seconds * 10) / 10} s`;
  if (seconds < 120) return `${Math.round(seconds)} s`;
  return `${Math.round(seconds / 60)} min`;
}

export function describeWait(wait: EstimatedWait | null | undefined): string {
  if (!wait) return 'unknown';
  if (wait.reason === 'paused') return 'none while the queue is paused';
  if (wait.reason === 'no_workers') return 'none until a worker serves the queue';
  if (wait.reason === 'cold_start') {
    if (wait.seconds === null) return 'a worker is starting (start time not measured yet)';
    const start = wait.coldStartSeconds ?? 0;
    return `~${waitSeconds(wait.seconds)} incl. ~${waitSeconds(start)} worker start (${wait.confidence} confidence)`;
  }
  if (wait.seconds === null) return 'unknown';
  return `~${waitSeconds(wait.seconds)} (${wait.confidence} confidence)`;
}
