/**
 * A queue's policy: the defaults its jobs get when a submit leaves a field out (a job's
 * own fields win), and how its failed attempts back off. Stored per queue so every
 * server applies the same (store/queue-policy-store.ts); maxQueued is the queue's
 * admission cap, kept with the queue's settings in the store.
 */
import type { RetryPolicy } from './retry-policy.js';

export interface BackoffPolicy {
  /** `exponential`: base × 2^(attempt−1); `fixed`: base every time. */
  type: 'exponential' | 'fixed';
  baseMs: number;
  /** The longest delay; default max(baseMs, the server's cap). */
  capMs?: number;
  /** 0 = none, 1 = anywhere in [0, delay]; default 0. */
  jitter?: number;
}

/** The stored fields; an absent field takes the server's default. */
export interface QueuePolicy {
  timeoutMs?: number;
  maxAttempts?: number;
  priority?: number;
  backoff?: BackoffPolicy;
}

/** A change: a field set to null goes back to the server's default. */
export type QueuePolicyPatch = { [K in keyof QueuePolicy]?: QueuePolicy[K] | null };

export const QUEUE_POLICY_FIELDS = ['timeoutMs', 'maxAttempts', 'priority', 'backoff'] as const;

/** The queue's backoff as a retry policy; the server's when the queue has none. */
export function retryPolicyOf(backoff: BackoffPolicy | undefined, server: RetryPolicy): RetryPolicy {
  if (!backoff) return server;
  return {
    baseDelayMs: backoff.baseMs,
    factor: backoff.type === 'fixed' ? 1 : 2,
    maxDelayMs: Math.max(backoff.baseMs, backoff.capMs ?? server.maxDelayMs),
    jitter: backoff.jitter ?? 0,
  };
}

/** Applies a patch: null removes a field. */
export function patchPolicy(policy: QueuePolicy, patch: QueuePolicyPatch): QueuePolicy {
  const next: Record<string, unknown> = { ...policy };
  for (const field of QUEUE_POLICY_FIELDS) {
    const value = patch[field];
    if (value === null) delete next[field];
    else if (value !== undefined) next[field] = value;
  }
  return next as QueuePolicy;
}
