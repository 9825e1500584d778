import { describe, expect, it } from 'vitest';
import {
  deliveryScheduleDefault,
  nextDeliveryDelay,
  parseRetryAfter,
  retryAfterMaxMs,
} from '../../src/domain/delivery-schedule.js';

describe('webhook delivery schedule', () => {
  it('backs off from 5 s to 10 h over eight attempts, then stops', () => {
    const mid = () => 0.5;
    const delays = Array.from({ length: 8 }, (_, i) =>
      nextDeliveryDelay(i + 1, deliveryScheduleDefault, null, mid),
    );
    expect(delays).toEqual([5_000, 30_000, 120_000, 900_000, 3_600_000, 10_800_000, 36_000_000, null]);
  });

  it('jitters each delay within ±20 %', () => {
    expect(nextDeliveryDelay(1, deliveryScheduleDefault, null, () => 0)).toBe(4_000);
    expect(nextDeliveryDelay(1, deliveryScheduleDefault, null, () => 1)).toBe(6_000);
  });

  it('waits at least the Retry-After a receiver asks for, capped at a day', () => {
    expect(nextDeliveryDelay(1, deliveryScheduleDefault, 60_000, () => 0.5)).toBe(60_000);
    expect(nextDeliveryDelay(1, deliveryScheduleDefault, 1_000, () => 0.5)).toBe(5_000);
    expect(nextDeliveryDelay(1, deliveryScheduleDefault, 10 * retryAfterMaxMs, () => 0.5)).toBe(
      retryAfterMaxMs,
    );
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-12-04T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Fri, 04 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
