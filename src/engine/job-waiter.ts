/**
 * Holding a request until a job ends (submit with `?wait=`, RunPod's /runsync): resolves
 * on the job's first terminal event from the bus — which, with a store that shares
 * events, is any server's — or when the wait runs out or the caller goes away, and then
 * re-reads the job so the answer carries its result or error. The subscription is taken
 * before the first read, so an end between the two is not missed.
 */
import type { Job } from '../domain/job.js';
import { isTerminal } from '../domain/job-states.js';
import type { EventBus } from './events.js';

/** The longest a request may be held: under the HTTP request timeout, with room to answer. */
export const submitWaitMaxSec = 30;

export async function waitForEnd(
  events: EventBus,
  read: () => Promise<Job>,
  job: Job,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<Job> {
  if (isTerminal(job.status)) return job;
  let release: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, options.timeoutMs);
    const onAbort = () => resolve();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const unsubscribe = events.subscribe((event) => {
      if (event.job.id === job.id && isTerminal(event.job.status)) resolve();
    });
    release = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      unsubscribe();
    };
  });
  try {
    const current = await read();
    if (isTerminal(current.status)) return current;
    await ended;
    return await read();
  } finally {
    release();
  }
}
