/**
 * The `demo` queue's handler: walks through `stages` while sleeping `ms` in total,
 * reporting progress at each stage, honouring its AbortSignal, and failing with a
 * clear error when `fail` is true, or on its first `failTimes` attempts (then it succeeds:
 * a retried job). It shows a newcomer every state a job can take.
 */
import type { JobHandler } from '../worker/handler.js';

export interface DemoPayload {
  ms?: number;
  stages?: string[];
  fail?: boolean;
  /** Fail the first n attempts, then succeed. */
  failTimes?: number;
}

export const demoQueue = 'demo';
const msMax = 10 * 60_000;

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export const demoHandler: JobHandler = async (job, { signal, progress }) => {
  const payload = (job.payload ?? {}) as DemoPayload;
  const ms = typeof payload.ms === 'number' && payload.ms >= 0 ? Math.min(payload.ms, msMax) : 1000;
  const stages =
    Array.isArray(payload.stages) && payload.stages.length > 0 ? payload.stages.map(String) : ['working'];
  const step = ms / stages.length;
  for (const [index, stage] of stages.entries()) {
    await progress(
      Math.round((index / stages.length) * 100),
      stage,
      `Stage ${index + 1} of ${stages.length}`,
    );
    await abortable(step, signal);
  }
  if (payload.fail === true) throw new Error('Demo failure requested by the payload (fail: true)');
  const failTimes = typeof payload.failTimes === 'number' ? payload.failTimes : 0;
  if (job.attempts <= failTimes)
    throw new Error(`Demo failure ${job.attempts} of ${failTimes} requested by the payload (failTimes)`);
  await progress(100, stages.at(-1), 'Done');
  return { ok: true, ms, stages: stages.length };
};
