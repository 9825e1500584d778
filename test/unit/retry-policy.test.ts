import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  type RetryPolicy,
  shouldRetry,
  validateRetryPolicy,
} from '../../src/domain/retry-policy.js';

const policy: RetryPolicy = { baseDelayMs: 100, factor: 2, maxDelayMs: 1_000, jitter: 0.5 };

describe('retry policy', () => {
  it('grows exponentially and caps at maxDelayMs', () => {
    const noJitter = { ...policy, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, noJitter))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('jitters within [1 - jitter, 1] of the delay', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(400);
    expect(backoffDelay(3, policy, () => 1)).toBe(200);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(300);
  });

  it('retries only retryable errors while attempts remain', () => {
    expect(shouldRetry(1, 3, true)).toBe(true);
    expect(shouldRetry(3, 3, true)).toBe(false);
    expect(shouldRetry(1, 3, false)).toBe(false);
  });

  it('rejects a bad policy with the field named', () => {
    expect(() => validateRetryPolicy({ ...policy, factor: 0.5 })).toThrow(/retry.factor/);
    expect(() => validateRetryPolicy({ ...policy, jitter: 2 })).toThrow(/retry.jitter/);
    expect(() => validateRetryPolicy({ ...policy, maxDelayMs: 10 })).toThrow(/retry.maxDelayMs/);
  });
});
