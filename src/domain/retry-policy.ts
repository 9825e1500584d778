/**
 * Exponential backoff with "full jitter" on the upper half: the delay for attempt n
 * is base × factor^(n-1), capped, then scaled into [1 - jitter, 1] of itself so that
 * a burst of failures does not retry in lockstep.
 */
export interface RetryPolicy {
  baseDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** 0 = no jitter, 1 = anywhere in [0, delay]. */
  jitter: number;
}

export const retryPolicyDefault: RetryPolicy = {
  baseDelayMs: 1_000,
  factor: 2,
  maxDelayMs: 10 * 60_000,
  jitter: 0.25,
};

export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  if (!(policy.baseDelayMs >= 0)) throw new Error('retry.baseDelayMs must be >= 0');
  if (!(policy.factor >= 1)) throw new Error('retry.factor must be >= 1');
  if (!(policy.maxDelayMs >= policy.baseDelayMs)) throw new Error('retry.maxDelayMs must be >= baseDelayMs');
  if (!(policy.jitter >= 0 && policy.jitter <= 1)) throw new Error('retry.jitter must be within [0, 1]');
  return policy;
}

/** Delay before retrying after `attempt` (1-based) failed. `random` is injected so tests are exact. */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const raw = Math.min(policy.maxDelayMs, policy.baseDelayMs * policy.factor ** exponent);
  const scale = 1 - policy.jitter * random();
  return Math.round(raw * scale);
}

/** Whether a failed attempt gets another try. */
export function shouldRetry(attempts: number, maxAttempts: number, retryable: boolean): boolean {
  return retryable && attempts < maxAttempts;
}
