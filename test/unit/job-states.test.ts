import { describe, expect, it } from 'vitest';
import { canTransition, isTerminal, JOB_STATUSES, type JobStatus } from '../../src/domain/job-states.js';

// The whole table, written out: every pair not listed here must be refused.
const allowed: Array<[JobStatus, JobStatus]> = [
  ['scheduled', 'queued'],
  ['scheduled', 'cancelled'],
  ['queued', 'running'],
  ['queued', 'cancelled'],
  ['queued', 'scheduled'],
  ['running', 'completed'],
  ['running', 'failed'],
  ['running', 'cancelled'],
  ['running', 'scheduled'],
  ['running', 'queued'],
  ['failed', 'queued'],
  ['cancelled', 'queued'],
  ['awaiting_confirmation', 'queued'],
  ['awaiting_confirmation', 'cancelled'],
];

describe('job state machine', () => {
  const key = (from: JobStatus, to: JobStatus) => `${from}->${to}`;
  const allowedKeys = new Set(allowed.map(([from, to]) => key(from, to)));

  for (const from of JOB_STATUSES) {
    for (const to of JOB_STATUSES) {
      const expected = allowedKeys.has(key(from, to));
      it(`${expected ? 'allows' : 'forbids'} ${from} → ${to}`, () => {
        expect(canTransition(from, to)).toBe(expected);
      });
    }
  }

  it('has no way out of completed', () => {
    expect(JOB_STATUSES.filter((to) => canTransition('completed', to))).toEqual([]);
  });

  it('knows the terminal states', () => {
    expect(JOB_STATUSES.filter(isTerminal)).toEqual(['completed', 'failed', 'cancelled']);
  });
});
