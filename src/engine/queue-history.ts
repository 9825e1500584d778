/**
 * A queue's last hour minute by minute, for charts: per bucket, the jobs that finished
 * in it (completed, failed) and the median wait (submit → start of the last attempt)
 * and run time of the completed and failed ones. Read from the finished jobs the store
 * still holds (`store.finishedSince`), like queue-stats.ts, whose percentile it shares.
 *
 * Buckets are aligned to the store's clock: the last one ends at `at` and may be
 * partial. A bucket with no finished job has null medians (a gap in a chart, not a 0).
 */
import { readDeadlineMsDefault, withDeadline } from './deadline.js';
import type { Engine } from './engine.js';
import { percentile } from './queue-stats.js';

export interface HistoryBucket {
  /** Start of the bucket, epoch ms. */
  start: number;
  completed: number;
  failed: number;
  waitMsP50: number | null;
  runMsP50: number | null;
}

export interface QueueHistory {
  queue: string;
  at: number;
  bucketMs: number;
  buckets: HistoryBucket[];
  /** The window held more finished jobs than were sampled; the newest were kept. */
  truncated: boolean;
}

export const historyWindowMsDefault = 3600_000;
export const historyBucketMsDefault = 60_000;
export const historySampleLimit = 50_000;

export async function queueHistory(
  engine: Engine,
  queue: string,
  options: { windowMs?: number; bucketMs?: number; deadlineMs?: number } = {},
): Promise<QueueHistory> {
  const windowMs = options.windowMs ?? historyWindowMsDefault;
  const bucketMs = options.bucketMs ?? historyBucketMsDefault;
  const deadlineMs = options.deadlineMs ?? readDeadlineMsDefault;
  if (!(bucketMs > 0 && windowMs >= bucketMs)) throw new Error('history needs 0 < bucketMs <= windowMs');
  const at = await withDeadline(engine.store.now(), deadlineMs, 'its clock');
  const count = Math.ceil(windowMs / bucketMs);
  const first = at - count * bucketMs;
  const samples = await withDeadline(
    engine.store.finishedSince({ queue, since: first, limit: historySampleLimit }),
    deadlineMs,
    'the finished jobs',
  );
  const waits: number[][] = Array.from({ length: count }, () => []);
  const runs: number[][] = Array.from({ length: count }, () => []);
  const buckets: HistoryBucket[] = Array.from({ length: count }, (_, index) => ({
    start: first + index * bucketMs,
    completed: 0,
    failed: 0,
    waitMsP50: null,
    runMsP50: null,
  }));
  for (const sample of samples) {
    if (sample.status === 'cancelled') continue;
    const index = Math.min(count - 1, Math.floor((sample.finishedAt - first) / bucketMs));
    const bucket = buckets[index];
    if (!bucket) continue;
    if (sample.status === 'completed') bucket.completed++;
    else bucket.failed++;
    if (sample.startedAt !== null) {
      waits[index]!.push(Math.max(0, sample.startedAt - sample.createdAt));
      runs[index]!.push(Math.max(0, sample.finishedAt - sample.startedAt));
    }
  }
  for (const [index, bucket] of buckets.entries()) {
    bucket.waitMsP50 = median(waits[index]!);
    bucket.runMsP50 = median(runs[index]!);
  }
  return { queue, at, bucketMs, buckets, truncated: samples.length >= historySampleLimit };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  return percentile(
    values.sort((a, b) => a - b),
    0.5,
  );
}
