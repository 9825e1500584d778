/**
 * Subscriptions to live job events for the life of a component. When the set of
 * targets changes, only the added ones are subscribed and the dropped ones
 * unsubscribed: a kept target's stream is not restarted.
 */
import { useEffect, useRef } from 'react';
import type { JobEvent, LiveEvents } from '../../../src/client/index.js';
import { useSession } from '../session-context.js';

type Subscribe = (live: LiveEvents, target: string, listener: (event: JobEvent) => void) => () => void;

function useTargets(
  subscribe: Subscribe,
  targets: readonly string[],
  onEvent: (event: JobEvent) => void,
  enabled: boolean,
) {
  const { live } = useSession();
  const handler = useRef(onEvent);
  handler.current = onEvent;
  const active = useRef(new Map<string, () => void>());
  const key = enabled ? [...new Set(targets)].sort().join('\n') : '';
  useEffect(() => {
    const wanted = new Set(key === '' ? [] : key.split('\n'));
    for (const target of wanted) {
      if (!active.current.has(target))
        active.current.set(
          target,
          subscribe(live, target, (event) => handler.current(event)),
        );
    }
    for (const [target, off] of active.current) {
      if (!wanted.has(target)) {
        off();
        active.current.delete(target);
      }
    }
  }, [live, key, subscribe]);
  useEffect(
    () => () => {
      for (const off of active.current.values()) off();
      active.current.clear();
    },
    [],
  );
}

const byQueue: Subscribe = (live, queue, listener) => live.subscribeQueue(queue, listener);
const byJob: Subscribe = (live, id, listener) => live.subscribeJob(id, listener);

/** Every event of the given queues (admin keys: tenants cannot follow a whole queue). */
export function useQueueEvents(
  queues: readonly string[],
  onEvent: (event: JobEvent) => void,
  enabled = true,
): void {
  useTargets(byQueue, queues, onEvent, enabled);
}

/** Every event of the given jobs (any key; another tenant's job is refused by the server). */
export function useJobEvents(
  jobIds: readonly string[],
  onEvent: (event: JobEvent) => void,
  enabled = true,
): void {
  useTargets(byJob, jobIds, onEvent, enabled);
}
