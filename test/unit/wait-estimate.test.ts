/** The wait formula of docs/CAPACITY.md, case by case (domain/wait-estimate.ts). */
import { describe, expect, it } from 'vitest';
import { drainMs, estimateWait, type WaitInputs } from '../../src/domain/wait-estimate.js';

const base: WaitInputs = {
  position: 1,
  meanRunMs: 2_000,
  runSamples: 40,
  paused: false,
  slots: 2,
  running: 0,
  cold: null,
  limits: [],
};

describe('estimateWait', () => {
  it('drains the line ahead at slots jobs per mean run, free slots first', () => {
    expect(drainMs(2, 2, 2, 1_000)).toBe(0);
    expect(drainMs(3, 2, 2, 1_000)).toBe(500);
    expect(drainMs(5, 0, 2, 1_000)).toBe(2_500);
    expect(estimateWait({ ...base, position: 1, running: 1 })).toEqual({ seconds: 0, confidence: 'high' });
    expect(estimateWait({ ...base, position: 2, running: 2 })).toEqual({ seconds: 2, confidence: 'high' });
  });

  it('takes the longest of the queue’s, the owner’s and the project’s waits', () => {
    const owner = { limit: 1, running: 1, ahead: 2 };
    expect(estimateWait({ ...base, limits: [owner] }).seconds).toBe(6);
    const project = { limit: 2, running: 0, ahead: 0 };
    expect(estimateWait({ ...base, limits: [project] }).seconds).toBe(0);
  });

  it('gives no time with a reason when nothing can start the job', () => {
    expect(estimateWait({ ...base, paused: true })).toMatchObject({ seconds: null, reason: 'paused' });
    expect(estimateWait({ ...base, slots: 0 })).toMatchObject({ seconds: null, reason: 'no_workers' });
    const unmeasured = { slots: 2, startMs: null, startSamples: 0, startingForMs: null };
    expect(estimateWait({ ...base, slots: 0, cold: unmeasured })).toMatchObject({
      seconds: null,
      reason: 'cold_start',
      coldStartSeconds: null,
    });
  });

  it('adds the pool’s measured start still to go to the wait once its slots are up', () => {
    const cold = { slots: 2, startMs: 3_000, startSamples: 6, startingForMs: 1_000 };
    expect(estimateWait({ ...base, slots: 0, position: 3, cold })).toEqual({
      seconds: 2 + 1,
      confidence: 'medium',
      reason: 'cold_start',
      coldStartSeconds: 2,
    });
  });
});
