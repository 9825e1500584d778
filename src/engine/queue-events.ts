/**
 * Queue-level transitions (paused, resumed), for listeners that are not about one job —
 * webhook subscriptions to `queue.*` events. Published by the server that made the
 * change, right after the store call; in-process only (a webhook delivery recorded from
 * it is durable from then on).
 */
import { EventEmitter } from 'node:events';

export interface QueueEvent {
  kind: 'paused' | 'resumed';
  queue: string;
  at: number;
}

export class QueueEventBus {
  private readonly emitter = new EventEmitter();

  publish(kind: QueueEvent['kind'], queue: string): void {
    this.emitter.emit('queue', { kind, queue, at: Date.now() } satisfies QueueEvent);
  }

  subscribe(listener: (event: QueueEvent) => void): () => void {
    this.emitter.on('queue', listener);
    return () => this.emitter.off('queue', listener);
  }
}
