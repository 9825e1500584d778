import { describe, expect, it } from 'vitest';
import { percentile, summarize } from '../../src/engine/queue-stats.js';
import { classify } from '../../src/engine/queue-status.js';
import { noWorkers, type WorkerCounts } from '../../src/engine/worker-directory.js';
import type { FinishedSample } from '../../src/store/store.js';

const workers = (patch: Partial<WorkerCounts>): WorkerCounts => ({ ...noWorkers(), ...patch });
const jobs = (queued: number, running = 0) => ({ queued, running });

describe('queue status rule', () => {
  it('says paused first, whatever the workers do', () => {
    expect(
      classify({ paused: true, workers: workers({ running: 2 }), jobs: jobs(5, 2), maxWorkers: 2 }),
    ).toBe('paused');
  });

  it('says cold when no slot is up, jobs queued or not — initializing and draining slots are not up', () => {
    expect(classify({ paused: false, workers: noWorkers(), jobs: jobs(1), maxWorkers: null })).toBe('cold');
    expect(
      classify({
        paused: false,
        workers: workers({ initializing: 2, draining: 1 }),
        jobs: jobs(1),
        maxWorkers: null,
      }),
    ).toBe('cold');
    // A queue with no live worker is never ok, even with nothing queued.
    expect(classify({ paused: false, workers: noWorkers(), jobs: jobs(0), maxWorkers: null })).toBe('cold');
  });

  it('says busy when every slot runs, or the queue’s cap is reached', () => {
    expect(
      classify({ paused: false, workers: workers({ running: 2 }), jobs: jobs(0, 2), maxWorkers: null }),
    ).toBe('busy');
    expect(
      classify({
        paused: false,
        workers: workers({ running: 2, idle: 1 }),
        jobs: jobs(3, 2),
        maxWorkers: null,
      }),
    ).toBe('ok');
    expect(
      classify({ paused: false, workers: workers({ running: 2, idle: 2 }), jobs: jobs(3, 2), maxWorkers: 2 }),
    ).toBe('busy');
    expect(classify({ paused: false, workers: workers({ ready: 1 }), jobs: jobs(0), maxWorkers: 0 })).toBe(
      'ok',
    );
  });
});

describe('queue statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.95)).toBe(95);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([1, 2], 0.5)).toBe(1);
  });

  it('counts outcomes, throughput, success rate, run and wait time', () => {
    const sample = (
      status: FinishedSample['status'],
      created: number,
      started: number | null,
      finished: number,
    ) => ({
      status,
      createdAt: created,
      startedAt: started,
      finishedAt: finished,
    });
    const samples: FinishedSample[] = [
      sample('completed', 0, 1_000, 3_000),
      sample('completed', 0, 2_000, 6_000),
      sample('completed', 0, 3_000, 9_000),
      sample('failed', 0, 4_000, 5_000),
      sample('cancelled', 0, null, 500),
    ];
    const window = summarize(samples, { since: 0, lengthMs: 60_000 * 10, truncated: false });
    expect(window).toMatchObject({ completed: 3, failed: 1, cancelled: 1, truncated: false });
    expect(window.throughputPerMinute).toBe(0.3);
    expect(window.successRate).toBe(0.75);
    // Runs: 2000, 4000, 6000, 1000 → sorted 1000, 2000, 4000, 6000.
    expect(window.runTimeMs).toEqual({ p50: 2_000, p95: 6_000 });
    expect(window.waitTimeMs).toEqual({ p50: 2_000, p95: 4_000 });
  });

  it('leaves rates and percentiles empty when nothing finished', () => {
    const window = summarize([], { since: 5, lengthMs: 3600_000, truncated: false });
    expect(window).toMatchObject({
      since: 5,
      completed: 0,
      throughputPerMinute: 0,
      successRate: null,
      runTimeMs: null,
      waitTimeMs: null,
    });
  });
});
