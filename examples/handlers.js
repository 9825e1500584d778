/**
 * A handlers module, as `jobgate worker --handlers` and a queue's pool
 * (`queues.<name>.pool.handlers`) load it: the default export maps queue names to
 * handlers, which get the same (job, { signal, progress, attempt }) as in-process ones.
 *
 *   jobgate worker --url http://127.0.0.1:8080 --key jg_… --handlers ./examples/handlers.js
 */

/**
 * Waits `ms`, or rejects as soon as the job's signal aborts (cancel, timeout, shutdown).
 * The abort listener goes when the wait ends: one signal serves every step of a job, and
 * listeners left behind pile up (MaxListenersExceededWarning past 10).
 */
function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export default {
  /** `render`: pretends to render `payload.frames` frames (default 4), 250 ms each. */
  render: async (job, { signal, progress }) => {
    const frames = Number.isInteger(job.payload?.frames) ? job.payload.frames : 4;
    for (let frame = 1; frame <= frames; frame++) {
      await pause(250, signal);
      await progress(Math.round((frame / frames) * 100), 'render', `Frame ${frame} of ${frames}`);
    }
    return { frames, pid: process.pid };
  },
};
