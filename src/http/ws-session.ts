/**
 * One WebSocket connection of `GET /api/v1/ws`: the client subscribes to jobs (and,
 * as an admin, to whole queues) and gets their events in the SSE event shape.
 *
 *   → {"op":"subscribe","jobId":"…","lastEventId"?:"…"}   ← {"type":"subscribed","jobId"}, then events
 *   → {"op":"subscribe","queue":"…"}                      admin only; live events of every job of the queue
 *   → {"op":"unsubscribe","jobId":"…"} | {"op":"unsubscribe","queue":"…"}   ← {"type":"unsubscribed",…}
 *   ← {"type":"event","id","jobId","queue","kind","status","progress","at"}
 *   ← {"type":"error","code","message","jobId"?,"queue"?}   the connection stays open
 *
 * A job subscription starts like an SSE stream (a snapshot, or the events after
 * `lastEventId`) and ends by itself after the job's final event, with
 * {"type":"unsubscribed","jobId","reason":"ended"}. Another tenant's job is refused
 * exactly like a missing one (JOBGATE_ERR_JOB_NOT_FOUND).
 */
import type { WebSocket } from 'ws';
import { JobgateError } from '../domain/errors.js';
import type { Engine } from '../engine/engine.js';
import { endsStream, type JobEventLog, type LoggedEvent } from '../engine/job-event-log.js';
import type { Principal } from '../engine/principal.js';
import { asCallerError } from '../store/store-errors.js';
import { eventView } from './event-view.js';

export const subscriptionsMax = 1_000;
/** Client messages are a few fields; anything larger is refused by the socket. */
export const wsMessageMaxBytes = 16 * 1024;
/** A client this far behind in reading is dropped rather than buffered without end. */
export const sendBufferMaxBytes = 8 * 1024 * 1024;
const namePattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const idMax = 64;

type ClientMessage =
  | { op: 'subscribe'; jobId: string; lastEventId?: string }
  | { op: 'subscribe'; queue: string }
  | { op: 'unsubscribe'; jobId: string }
  | { op: 'unsubscribe'; queue: string };

interface Target {
  jobId?: string;
  queue?: string;
}

export class WsSession {
  private readonly socket: WebSocket;
  private readonly principal: Principal;
  private readonly engine: Engine;
  private readonly log: JobEventLog;
  /**
   * Subscription key (`job:<id>` or `queue:<name>`) → its unsubscribe. While a job
   * subscription is being opened the value is a placeholder of that attempt, so an
   * unsubscribe (and a new subscribe) in the meantime is noticed when the read returns.
   */
  private readonly subscriptions = new Map<string, () => void>();
  private readonly pinger: NodeJS.Timeout;
  private closed = false;

  constructor(options: {
    socket: WebSocket;
    principal: Principal;
    engine: Engine;
    log: JobEventLog;
    keepAliveMs: number;
  }) {
    this.socket = options.socket;
    this.principal = options.principal;
    this.engine = options.engine;
    this.log = options.log;
    this.pinger = setInterval(() => this.socket.ping(), options.keepAliveMs);
    this.pinger.unref();
    // Attached at once: a message that arrives before a handler exists is lost.
    this.socket.on('message', (data, isBinary) => {
      this.handle(isBinary ? null : String(data)).catch((error: unknown) =>
        this.refuse(asCallerError(error), {}),
      );
    });
    this.socket.on('close', () => this.dispose());
    this.socket.on('error', () => this.dispose());
  }

  private async handle(text: string | null): Promise<void> {
    const message = parse(text);
    if (message instanceof JobgateError) return this.refuse(message, {});
    if ('jobId' in message) {
      if (message.op === 'unsubscribe') return this.unsubscribe({ jobId: message.jobId });
      return this.subscribeJob(message.jobId, 'lastEventId' in message ? message.lastEventId : undefined);
    }
    if (message.op === 'unsubscribe') return this.unsubscribe({ queue: message.queue });
    return this.subscribeQueue(message.queue);
  }

  private async subscribeJob(jobId: string, lastEventId: string | undefined): Promise<void> {
    const key = `job:${jobId}`;
    if (this.subscriptions.has(key)) return this.send({ type: 'subscribed', jobId });
    const attempt = this.reserve(key, { jobId });
    if (!attempt) return;
    let job: Awaited<ReturnType<Engine['get']>>;
    try {
      job = await this.engine.get(jobId, this.principal);
    } catch (error) {
      if (this.subscriptions.get(key) === attempt) this.subscriptions.delete(key);
      return this.refuse(asCallerError(error), { jobId });
    }
    // Unsubscribed (or disconnected) while the job was being read.
    if (this.closed || this.subscriptions.get(key) !== attempt) return;
    const start = this.log.open(job, lastEventId);
    let ended = false;
    const deliver = (event: LoggedEvent) => {
      if (ended) return;
      this.sendEvent(event);
      if (endsStream(event)) {
        ended = true;
        this.unsubscribe({ jobId }, 'ended');
      }
    };
    this.subscriptions.set(key, this.log.subscribe(jobId, deliver));
    this.send({ type: 'subscribed', jobId });
    const alreadyOver = start.resumed && start.events.length === 0 && start.seen && endsStream(start.seen);
    if (alreadyOver) return this.unsubscribe({ jobId }, 'ended');
    for (const event of start.events) deliver(event);
  }

  private subscribeQueue(queue: string): void {
    if (this.principal.role !== 'admin') {
      this.refuse(new JobgateError('JOBGATE_ERR_FORBIDDEN', 'Only an admin key may follow a whole queue'), {
        queue,
      });
      return;
    }
    const key = `queue:${queue}`;
    if (!this.subscriptions.has(key)) {
      if (!this.reserve(key, { queue })) return;
      this.subscriptions.set(
        key,
        this.log.subscribeQueue(queue, (event) => this.sendEvent(event)),
      );
    }
    this.send({ type: 'subscribed', queue });
  }

  /** Holds a place for a subscription being opened; false when the connection has too many. */
  private reserve(key: string, target: Target): (() => void) | false {
    if (this.subscriptions.size >= subscriptionsMax) {
      this.refuse(
        new JobgateError(
          'JOBGATE_ERR_UNPROCESSABLE',
          `At most ${subscriptionsMax} subscriptions per connection`,
        ),
        target,
      );
      return false;
    }
    const attempt = () => {};
    this.subscriptions.set(key, attempt);
    return attempt;
  }

  private unsubscribe(target: Target, reason?: 'ended'): void {
    const key = target.jobId !== undefined ? `job:${target.jobId}` : `queue:${target.queue}`;
    this.subscriptions.get(key)?.();
    this.subscriptions.delete(key);
    this.send({ type: 'unsubscribed', ...target, ...(reason ? { reason } : {}) });
  }

  private sendEvent(event: LoggedEvent): void {
    this.send({ type: 'event', ...eventView(event) });
  }

  private refuse(error: JobgateError, target: Target): void {
    this.send({ type: 'error', code: error.code, message: error.message, ...target });
  }

  private send(message: object): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > sendBufferMaxBytes) {
      // 1013 "try again later": the client reads too slowly to keep up.
      this.socket.close(1013, 'Client too slow');
      return;
    }
    this.socket.send(JSON.stringify(message));
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    for (const unsubscribe of this.subscriptions.values()) unsubscribe();
    this.subscriptions.clear();
  }
}

/** Checks a client message by hand: a handful of fields does not need a schema compiler. */
function parse(text: string | null): ClientMessage | JobgateError {
  if (text === null) return new JobgateError('JOBGATE_ERR_BAD_REQUEST', 'Send JSON text messages');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new JobgateError('JOBGATE_ERR_BAD_REQUEST', 'The message is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new JobgateError('JOBGATE_ERR_VALIDATION', 'The message must be a JSON object');
  }
  const { op, jobId, queue, lastEventId, ...rest } = value as Record<string, unknown>;
  const invalid = (message: string) => new JobgateError('JOBGATE_ERR_VALIDATION', message);
  if (op !== 'subscribe' && op !== 'unsubscribe') return invalid('op must be "subscribe" or "unsubscribe"');
  const extra = Object.keys(rest);
  if (extra.length > 0) return invalid(`Unknown field ${extra[0]}`);
  if ((jobId === undefined) === (queue === undefined)) return invalid('Give exactly one of jobId and queue');
  if (jobId !== undefined) {
    if (typeof jobId !== 'string' || jobId.length === 0 || jobId.length > idMax)
      return invalid(`jobId must be a string of 1 to ${idMax} characters`);
    if (lastEventId !== undefined && (typeof lastEventId !== 'string' || lastEventId.length > idMax))
      return invalid(`lastEventId must be a string of at most ${idMax} characters`);
    if (op === 'unsubscribe') return { op: 'unsubscribe', jobId };
    return lastEventId === undefined ? { op: 'subscribe', jobId } : { op: 'subscribe', jobId, lastEventId };
  }
  if (lastEventId !== undefined) return invalid('lastEventId goes with jobId');
  if (typeof queue !== 'string' || !namePattern.test(queue)) return invalid('queue must be a queue name');
  return op === 'unsubscribe' ? { op: 'unsubscribe', queue } : { op: 'subscribe', queue };
}
