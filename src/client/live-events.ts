/**
 * Live job events over one WebSocket (`GET /api/v1/ws`), shared by every subscriber
 * of a page: subscriptions are counted per target, sent once, and sent again after a
 * reconnect. The socket reconnects by itself with exponential backoff (base × 2^n,
 * capped, with jitter); job subscriptions resume after the last event seen, so a
 * reconnect loses nothing the server's event log still holds.
 *
 * A job's subscription ends by itself after its final event (the server says
 * `unsubscribed … ended`); it is not renewed on reconnect. Queue subscriptions (admin
 * keys only) carry every event of every job of the queue.
 *
 * Runs wherever a WebSocket exists (browsers, Node ≥ 22), or with one passed in.
 */
import type { JobEvent } from './operator-types.js';

export type LiveState = 'connecting' | 'open' | 'closed';

export interface LiveEventsOptions {
  /** ws:// or wss:// URL of /api/v1/ws, with `?key=` (browsers cannot set its headers). */
  url: string;
  WebSocket?: typeof WebSocket;
  backoff?: { baseMs: number; maxMs: number };
  onState?: (state: LiveState) => void;
  /** A subscription the server refused (e.g. JOBGATE_ERR_JOB_NOT_FOUND, or FORBIDDEN for a queue). */
  onRefused?: (refusal: { code: string; message: string; jobId?: string; queue?: string }) => void;
}

type Listener = (event: JobEvent) => void;

interface Subscription {
  listeners: Set<Listener>;
  /** Job subscriptions: the last event id seen, to resume after a reconnect. */
  lastEventId?: string;
  ended: boolean;
}

export const liveBackoffDefault = { baseMs: 1_000, maxMs: 30_000 };

export class LiveEvents {
  private readonly options: LiveEventsOptions;
  private readonly Socket: typeof WebSocket;
  private readonly jobs = new Map<string, Subscription>();
  private readonly queues = new Map<string, Subscription>();
  private socket: WebSocket | null = null;
  private retries = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private currentState: LiveState = 'closed';

  constructor(options: LiveEventsOptions) {
    this.options = options;
    const Socket = options.WebSocket ?? (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
    if (!Socket) throw new Error('No WebSocket implementation: pass options.WebSocket');
    this.Socket = Socket;
    this.connect();
  }

  get state(): LiveState {
    return this.currentState;
  }

  subscribeJob(jobId: string, listener: Listener): () => void {
    return this.add(this.jobs, jobId, listener, () => this.sendSubscribe('jobId', jobId));
  }

  /** Every event of every job of `queue` (admin keys). */
  subscribeQueue(queue: string, listener: Listener): () => void {
    return this.add(this.queues, queue, listener, () => this.sendSubscribe('queue', queue));
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.close();
    this.setState('closed');
  }

  private add(
    map: Map<string, Subscription>,
    target: string,
    listener: Listener,
    subscribe: () => void,
  ): () => void {
    let subscription = map.get(target);
    if (!subscription) {
      subscription = { listeners: new Set(), ended: false };
      map.set(target, subscription);
      subscribe();
    }
    subscription.listeners.add(listener);
    const field = map === this.jobs ? 'jobId' : 'queue';
    return () => {
      const current = map.get(target);
      if (!current) return;
      current.listeners.delete(listener);
      if (current.listeners.size > 0) return;
      map.delete(target);
      if (!current.ended) this.send({ op: 'unsubscribe', [field]: target });
    };
  }

  private sendSubscribe(field: 'jobId' | 'queue', target: string): void {
    const lastEventId = field === 'jobId' ? this.jobs.get(target)?.lastEventId : undefined;
    this.send({ op: 'subscribe', [field]: target, ...(lastEventId ? { lastEventId } : {}) });
  }

  private send(message: object): void {
    if (this.socket && this.socket.readyState === this.Socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private connect(): void {
    if (this.stopped) return;
    this.setState('connecting');
    const socket = new this.Socket(this.options.url);
    this.socket = socket;
    socket.onopen = () => {
      this.retries = 0;
      this.setState('open');
      for (const [jobId, subscription] of this.jobs)
        if (!subscription.ended) this.sendSubscribe('jobId', jobId);
      for (const queue of this.queues.keys()) this.sendSubscribe('queue', queue);
    };
    socket.onmessage = (message) => this.receive(String(message.data));
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      this.setState('closed');
      const { baseMs, maxMs } = this.options.backoff ?? liveBackoffDefault;
      const delay = Math.min(maxMs, baseMs * 2 ** this.retries) * (0.75 + Math.random() * 0.5);
      this.retries++;
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  private receive(text: string): void {
    let message: {
      type?: string;
      jobId?: string;
      queue?: string;
      reason?: string;
      code?: string;
      message?: string;
    };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (message.type === 'event') {
      const event = message as unknown as JobEvent;
      const job = this.jobs.get(event.jobId);
      if (job) {
        job.lastEventId = event.id;
        for (const listener of job.listeners) listener(event);
      }
      const queue = this.queues.get(event.queue);
      if (queue) for (const listener of queue.listeners) listener(event);
    } else if (message.type === 'unsubscribed' && message.reason === 'ended' && message.jobId) {
      const job = this.jobs.get(message.jobId);
      if (job) job.ended = true;
    } else if (message.type === 'error') {
      const refused = message.jobId ? this.jobs.get(message.jobId) : undefined;
      if (refused) refused.ended = true;
      this.options.onRefused?.({
        code: message.code ?? 'JOBGATE_ERR_INTERNAL',
        message: message.message ?? '',
        ...(message.jobId ? { jobId: message.jobId } : {}),
        ...(message.queue ? { queue: message.queue } : {}),
      });
    }
  }

  private setState(state: LiveState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.options.onState?.(state);
  }
}
