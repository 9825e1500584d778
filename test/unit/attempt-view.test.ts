/** How attempts are shown: stacks for admins only, timed-out failures named, one CLI line each. */
import { describe, expect, it } from 'vitest';
import { jobSummary } from '../../src/cli/job-action-commands.js';
import type { JobView } from '../../src/client/types.js';
import { parseAttemptHistory } from '../../src/domain/attempt.js';
import type { Job } from '../../src/domain/job.js';
import { jobDto } from '../../src/http/job-dto.js';

const stored = JSON.stringify([
  {
    attempt: 1,
    workerId: 'w1',
    runAt: 1_000,
    startedAt: 1_500,
    endedAt: 2_000,
    outcome: 'failed',
    error: { message: 'Timed out after 500 ms', retryable: true, stack: 'Error: t\n    at /srv/x.js' },
  },
  {
    attempt: 2,
    workerId: 'w2',
    runAt: 2_100,
    startedAt: 2_100,
    endedAt: 2_400,
    outcome: 'failed',
    error: { message: 'boom', retryable: false, stack: 'Error: boom\n    at /srv/y.js' },
  },
]);

const job = {
  id: 'j1',
  queue: 'q',
  type: 'default',
  status: 'failed',
  priority: 5,
  payload: null,
  result: null,
  error: null,
  attempts: 2,
  maxAttempts: 2,
  timeoutMs: 500,
  progress: { percent: 0, stage: null, message: null },
  owner: 'acme',
  projectId: null,
  parentId: null,
  depth: 0,
  iterationAllowance: null,
  createdAt: 1_000,
  runAt: 2_100,
  startedAt: 2_100,
  finishedAt: 2_400,
  workerId: null,
  leaseExpiresAt: null,
  cancelRequested: false,
  attemptHistory: parseAttemptHistory(stored, 3),
} as Job;

describe('attempt views', () => {
  it('names a timed-out failure, times each attempt and keeps stacks from tenants', () => {
    const tenant = jobDto(job, {}, { role: 'tenant' });
    expect(tenant.attemptsDropped).toBe(3);
    expect(tenant.attemptHistory.map((a) => [a.outcome, a.queueWaitMs, a.durationMs])).toEqual([
      ['timed_out', 500, 500],
      ['failed', 0, 300],
    ]);
    expect(tenant.attemptHistory.every((a) => a.error && !('stack' in a.error))).toBe(true);
    const admin = jobDto(job, {}, { role: 'admin' });
    expect(admin.attemptHistory[1]?.error?.stack).toContain('/srv/y.js');
  });

  it('prints one line per attempt in jobgate get', () => {
    const view = JSON.parse(JSON.stringify(jobDto(job, {}, { role: 'admin' }))) as JobView;
    const text = jobSummary(view);
    expect(text).toContain('(3 older attempts not kept)');
    expect(text).toContain('#1  timed_out  500 ms  w1  Timed out after 500 ms');
    expect(text).toContain('#2  failed  300 ms  w2  boom');
  });
});
