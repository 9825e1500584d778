/**
 * Operator actions on a whole queue. Pausing stops hand-outs at the store (claims of a
 * paused queue return nothing) while submits are still admitted; resuming wakes the
 * queue's idle workers. Clearing deletes every waiting job
 * (queued, scheduled, awaiting confirmation) and publishes `removed` for each, so
 * streams of those jobs end and metrics see them go.
 */
import type { Engine } from './engine.js';

/** Jobs one store call deletes; a clear repeats it until the queue is empty. */
export const clearBatchSize = 500;

export async function pauseQueue(engine: Engine, queue: string): Promise<void> {
  await engine.store.setPaused({ queue, paused: true });
  engine.waits.forget(queue);
  engine.queueEvents.publish('paused', queue);
}

export async function resumeQueue(engine: Engine, queue: string): Promise<void> {
  await engine.store.setPaused({ queue, paused: false });
  engine.waits.forget(queue);
  engine.queueEvents.publish('resumed', queue);
  // Idle workers sleep until an event or their poll; the jobs queued while paused woke them for nothing.
  engine.workers.wake?.(queue);
}

export async function clearQueue(engine: Engine, queue: string): Promise<number> {
  let cleared = 0;
  for (;;) {
    const removed = await engine.store.clearQueue({ queue, limit: clearBatchSize });
    for (const job of removed) engine.events.publish('removed', job);
    cleared += removed.length;
    if (removed.length < clearBatchSize) return cleared;
  }
}
