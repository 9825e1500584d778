/**
 * A worker that runs anywhere and reaches the server over HTTP:
 *
 *   const worker = new Worker({ url, key, queues: ['render'], concurrency: 2, handler });
 *   await worker.start();
 *
 * The handler gets the same job and context as an in-process handler (AbortSignal on
 * cancel, timeout, lost lease and shutdown; progress with stages), because the same
 * QueueWorker runtime runs it over an HTTP backend.
 *
 * Lifecycle: start registers (retrying with backoff while the server is away), then
 * leases; a presence heartbeat every `heartbeatMs` keeps an idle worker from being
 * shown dead. stop (or SIGTERM/SIGINT) drains: no new lease, running jobs get
 * `graceMs` to finish, the rest are released to the queue, then it deregisters.
 */
import { EventEmitter } from 'node:events';
import { isJobgateError } from '../../domain/errors.js';
import type { JobHandler } from '../handler.js';
import { QueueWorker } from '../queue-worker.js';
import { Backoff, type BackoffSettings, sleep } from './backoff.js';
import { HttpWorkerBackend, type ReportedState } from './http-worker-backend.js';
import { isConnectionError } from './worker-http.js';

export interface WorkerOptions {
  /** The server, e.g. http://127.0.0.1:8080. */
  url: string;
  /** A worker-role API key. */
  key: string;
  /** Queues to take jobs from; default the keys of `handlers`. */
  queues?: string[];
  /** Runs every job; or give `handlers`, one per queue. */
  handler?: JobHandler;
  handlers?: Record<string, JobHandler>;
  /** Jobs run at once; default 1. */
  concurrency?: number;
  labels?: Record<string, string>;
  version?: string;
  /** Choose the id (a pool names its workers); default: the server makes one. */
  workerId?: string;
  /** How long stop waits for running jobs before releasing them; default 10 s. */
  graceMs?: number;
  /** Stop gracefully and exit on SIGTERM and SIGINT; default true. */
  handleSignals?: boolean;
  /** Long-poll length of a lease request; default 30 s. */
  waitMs?: number;
  /** Backoff while the server is away; default 0.5 s doubling to 30 s. */
  reconnect?: BackoffSettings;
  fetch?: typeof fetch;
}

export type RemoteWorkerState = ReportedState | 'stopped';

export class Worker extends EventEmitter {
  private readonly options: WorkerOptions;
  private readonly queues: string[];
  private readonly handler: JobHandler;
  private readonly backend: HttpWorkerBackend;
  private runtime: QueueWorker | null = null;
  private presence: NodeJS.Timeout | null = null;
  private ranAJob = false;
  private stopping: Promise<void> | null = null;
  private starting: Promise<void> | null = null;
  private readonly aborted = new AbortController();
  private signalHandler: ((signal: NodeJS.Signals) => void) | null = null;

  constructor(options: WorkerOptions) {
    super();
    this.options = options;
    const handlers = options.handlers ?? {};
    this.queues = options.queues ?? Object.keys(handlers);
    if (this.queues.length === 0) throw new Error('Worker needs queues (or handlers, one per queue)');
    if (!options.handler) {
      const missing = this.queues.filter((queue) => typeof handlers[queue] !== 'function');
      if (missing.length > 0) throw new Error(`Worker has no handler for queue ${missing.join(', ')}`);
    }
    this.handler =
      options.handler ??
      ((job, ctx) => {
        const handler = handlers[job.queue];
        if (!handler) throw new Error(`No handler for queue ${job.queue}`);
        return handler(job, ctx);
      });
    this.backend = new HttpWorkerBackend({
      url: options.url,
      key: options.key,
      fetch: options.fetch,
      waitMs: options.waitMs,
      reconnect: options.reconnect,
      status: () => ({ running: this.runtime?.running ?? 0, state: this.reportedState() }),
    });
  }

  /** The id the server knows it by (after start). */
  get id(): string {
    return this.backend.workerId;
  }

  get state(): RemoteWorkerState {
    if (this.stopping && !this.runtime) return 'stopped';
    return this.runtime ? this.reportedState() : 'initializing';
  }

  /** Registers and starts leasing; resolves once registered. Rejects on a refused key. */
  start(): Promise<void> {
    this.starting ??= this.run();
    return this.starting;
  }

  /** Drains: no new lease, running jobs get `graceMs`, the rest go back to the queue; then deregisters. */
  stop(graceMs = this.options.graceMs ?? 10_000): Promise<void> {
    this.stopping ??= this.shutdown(graceMs);
    return this.stopping;
  }

  private async run(): Promise<void> {
    if (this.options.handleSignals !== false) this.listenForSignals();
    const backoff = new Backoff(this.options.reconnect);
    const spec = {
      queues: this.queues,
      concurrency: this.options.concurrency ?? 1,
      ...(this.options.labels ? { labels: this.options.labels } : {}),
      ...(this.options.version ? { version: this.options.version } : {}),
      ...(this.options.workerId ? { id: this.options.workerId } : {}),
    };
    for (;;) {
      if (this.aborted.signal.aborted) return;
      try {
        await this.backend.register(spec);
        break;
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        this.report(error);
        await sleep(backoff.fail(), this.aborted.signal);
      }
    }
    const runtime = new QueueWorker({
      backend: this.backend,
      queue: this.queues.join(','),
      handler: this.handler,
      concurrency: this.options.concurrency,
      workerId: this.backend.workerId,
      // A lease request already waits for work; this is only the pause between two empty ones.
      pollMs: 50,
      heartbeatMs: this.backend.heartbeatMs,
    });
    runtime.on('error', (error) => this.report(error));
    runtime.on('job', (id) => this.emit('job', id));
    runtime.on('settled', () => {
      this.ranAJob = true;
    });
    this.runtime = runtime;
    runtime.start();
    this.presence = setInterval(() => void this.sendPresence(), this.backend.heartbeatMs);
    this.presence.unref();
    this.emit('registered', this.backend.workerId);
  }

  private reportedState(): ReportedState {
    if (this.stopping) return 'draining';
    if ((this.runtime?.running ?? 0) > 0) return 'running';
    return this.ranAJob ? 'idle' : 'ready';
  }

  /** Heartbeats with no leases when the runtime sent none lately, so an idle worker stays alive. */
  private async sendPresence(): Promise<void> {
    if (Date.now() - this.backend.lastHeartbeatAt < this.backend.heartbeatMs * 0.9) return;
    try {
      await this.backend.heartbeat([]);
    } catch (error) {
      this.report(error);
    }
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.aborted.abort();
    await this.starting?.catch(() => {});
    const runtime = this.runtime;
    this.backend.drain();
    if (runtime) {
      // The server ends the pending lease request when it hears the worker drains.
      try {
        await this.backend.heartbeat([]);
      } catch {
        this.backend.abortPendingLease();
      }
      const stopped = runtime.stop(graceMs);
      const fallback = setTimeout(() => this.backend.abortPendingLease(), 2_000);
      await stopped;
      clearTimeout(fallback);
      await this.backend.deregister().catch((error: unknown) => this.report(error));
    }
    if (this.presence) clearInterval(this.presence);
    this.presence = null;
    this.runtime = null;
    this.stopListeningForSignals();
    this.emit('stopped');
  }

  private listenForSignals(): void {
    let received = 0;
    this.signalHandler = (signal) => {
      received++;
      if (received > 1) process.exit(1);
      this.emit('signal', signal);
      this.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', this.signalHandler);
    process.on('SIGINT', this.signalHandler);
  }

  private stopListeningForSignals(): void {
    if (!this.signalHandler) return;
    process.off('SIGTERM', this.signalHandler);
    process.off('SIGINT', this.signalHandler);
    this.signalHandler = null;
  }

  /** Errors are events; with no listener they go to stderr, never thrown at the process. */
  private report(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else if (!(isJobgateError(error) && error.code === 'JOBGATE_ERR_LEASE_LOST'))
      process.stderr.write(`jobgate worker: ${(error as Error).message ?? String(error)}\n`);
  }
}
