/**
 * The chaos suite's handler, for remote workers (`jobgate worker --handlers`), pool
 * workers and in-process workers alike. Each execution appends a `start` and an `end`
 * line to the log named by JOBGATE_CHAOS_LOG — outside the system under test, one
 * O_APPEND write per line, so lines of many processes never interleave — and returns the
 * attempt it ran as, so the checker can tell which holder's complete the store accepted.
 */
import { appendFileSync } from 'node:fs';

const log = process.env.JOBGATE_CHAOS_LOG;

function record(entry) {
  if (log) appendFileSync(log, `${JSON.stringify(entry)}\n`);
}

function pause(ms, signal) {
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

export async function chaosHandler(job, { signal, attempt }) {
  const base = { job: job.id, attempt, pid: process.pid };
  record({
    ...base,
    e: 'start',
    token: job.leaseToken ?? null,
    claimedAt: job.startedAt ?? null,
    expires: job.leaseExpiresAt ?? null,
    at: Date.now(),
  });
  try {
    await pause(job.payload?.ms ?? 20, signal);
  } catch (error) {
    record({ ...base, e: 'abort', reason: String(error), at: Date.now() });
    throw error;
  }
  record({ ...base, e: 'end', at: Date.now() });
  return { attempt, pid: process.pid };
}

export default { chaos: chaosHandler, 'chaos-pool': chaosHandler };
