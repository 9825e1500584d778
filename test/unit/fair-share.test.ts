import { describe, expect, it } from 'vitest';
import { effectivePriority, enteringVstart, headKey } from '../../src/domain/fair-share.js';

describe('fair share keys', () => {
  const settings = { agingTurns: 10 };

  it('orders by priority level, one level worth agingTurns turns', () => {
    expect(headKey(0, 1, settings)).toBeLessThan(headKey(0, 2, settings));
    // A level-2 group that started 11 turns earlier is ahead of a fresh level-1 group.
    expect(headKey(0, 2, settings)).toBeLessThan(headKey(11, 1, settings));
  });

  it('shifts priority by the tier boost', () => {
    expect(effectivePriority(5, 2)).toBe(3);
  });

  it('never lets a returning group start behind the queue clock', () => {
    expect(enteringVstart(null, 7)).toBe(7);
    expect(enteringVstart(3, 7)).toBe(7);
    expect(enteringVstart(9, 7)).toBe(9);
  });
});
