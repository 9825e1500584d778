/**
 * The WorkerBackend over the remote worker protocol, so the same QueueWorker runtime
 * that runs in-process handlers runs remote ones: `claim` is a long-poll lease
 * request, the rest map one to one onto the worker routes.
 *
 * The server away: `claim` waits an exponential backoff before each retry; writes
 * (progress, complete, fail, release) are retried until the lease would have expired
 * anyway, so a short outage loses no result. A server that no longer knows the worker
 * (JOBGATE_ERR_WORKER_NOT_FOUND, e.g. after a long outage) gets it registered again
 * under the same id.
 *
 * Draining: `drain()` makes `claim` answer at once with nothing and ends a pending
 * lease request (the worker tells the server with a `draining` heartbeat first; the
 * request is aborted only if that did not end it).
 */

import type { Readable } from 'node:stream';
import { isJobgateError } from '../../domain/errors.js';
import type { ClaimedJob, JobError, JobProgress } from '../../domain/job.js';
import type { StoredArtifact } from '../handler.js';
import type { WorkerBackend, WorkerLease } from '../worker-backend.js';
import { Backoff, type BackoffSettings, sleep } from './backoff.js';
import { jobFromWire, type LeasedJobWire } from './wire-job.js';
import { callServer, type HttpTarget, isConnectionError, WorkerConnectionError } from './worker-http.js';

export type ReportedState = 'initializing' | 'ready' | 'idle' | 'running' | 'draining';

export interface RegisterSpec {
  id?: string;
  queues: string[];
  concurrency: number;
  labels?: Record<string, string>;
  version?: string;
}

export interface RegistrationWire {
  worker: { id: string };
  leaseMs: number;
  heartbeatMs: number;
  deadAfterMs: number;
  maxWaitMs: number;
}

export interface HttpWorkerBackendOptions {
  url: string;
  key: string;
  fetch?: typeof fetch;
  /** Long-poll length of a lease request; default 30 s (the server caps it). */
  waitMs?: number;
  reconnect?: BackoffSettings;
  /** What the worker does now, sent with every lease request and heartbeat. */
  status: () => { running: number; state: ReportedState };
}

/** An artifact upload may take this long (a large video on a slow link). */
const uploadTimeoutMs = 3_600_000;

/** Time a request may take beyond its long-poll before it counts as lost. */
const requestSlackMs = 15_000;

export class HttpWorkerBackend implements WorkerBackend {
  leaseMs = 30_000;
  heartbeatMs = 10_000;
  /** When a heartbeat last reached the server (epoch ms). */
  lastHeartbeatAt = 0;
  private readonly target: HttpTarget;
  private readonly options: HttpWorkerBackendOptions;
  private readonly backoff: Backoff;
  private spec: RegisterSpec | null = null;
  private id: string | null = null;
  private readonly drained = new AbortController();
  private pendingLease: AbortController | null = null;

  constructor(options: HttpWorkerBackendOptions) {
    this.options = options;
    this.target = {
      url: options.url.replace(/\/+$/, ''),
      key: options.key,
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    };
    this.backoff = new Backoff(options.reconnect);
  }

  get workerId(): string {
    if (!this.id) throw new Error('the worker is not registered');
    return this.id;
  }

  get draining(): boolean {
    return this.drained.signal.aborted;
  }

  /** Registers (again, under the same id, when called twice); throws when the server is away. */
  async register(spec: RegisterSpec): Promise<RegistrationWire> {
    const registration = await this.call<RegistrationWire>('POST', '/workers', {
      ...spec,
      ...(this.id ? { id: this.id } : {}),
    });
    this.spec = spec;
    this.id = registration.worker.id;
    this.leaseMs = registration.leaseMs;
    this.heartbeatMs = registration.heartbeatMs;
    this.lastHeartbeatAt = Date.now();
    return registration;
  }

  async claim(request: { limit: number }): Promise<ClaimedJob[]> {
    if (this.draining) return [];
    const { running, state } = this.options.status();
    const lease = new AbortController();
    this.pendingLease = lease;
    try {
      const waitMs = this.options.waitMs ?? 30_000;
      const answer = await this.call<{ jobs: LeasedJobWire[] }>(
        'POST',
        `/workers/${this.workerId}/lease`,
        { max: request.limit, waitMs, running, state: state === 'ready' ? 'ready' : 'idle' },
        { timeoutMs: waitMs + requestSlackMs, signal: lease.signal },
      );
      this.backoff.reset();
      return answer.jobs.map(jobFromWire);
    } catch (error) {
      if (this.draining) return [];
      if (await this.registerAgainIfForgotten(error)) return [];
      if (isConnectionError(error)) await sleep(this.backoff.fail(), this.drained.signal);
      throw error;
    } finally {
      if (this.pendingLease === lease) this.pendingLease = null;
    }
  }

  async heartbeat(leases: WorkerLease[]): Promise<{ extended: string[]; lost: string[]; cancel: string[] }> {
    const send = () => {
      const { running, state } = this.options.status();
      return this.call<{ extended: string[]; lost: string[]; cancel: string[] }>(
        'POST',
        `/workers/${this.workerId}/heartbeat`,
        { leases, running, state },
      );
    };
    let answer: { extended: string[]; lost: string[]; cancel: string[] };
    try {
      answer = await send();
    } catch (error) {
      if (!(await this.registerAgainIfForgotten(error))) throw error;
      answer = await send();
    }
    this.lastHeartbeatAt = Date.now();
    return answer;
  }

  progress(lease: WorkerLease, progress: JobProgress): Promise<unknown> {
    return this.write(lease, 'progress', { token: lease.token, ...progress });
  }

  complete(lease: WorkerLease, result: unknown): Promise<unknown> {
    // Serialised here so a result that is not JSON throws its TypeError to the runtime.
    return this.write(lease, 'complete', { token: lease.token, result: result ?? null });
  }

  fail(lease: WorkerLease, error: JobError, _attempt: number): Promise<unknown> {
    return this.write(lease, 'fail', {
      token: lease.token,
      message: error.message.slice(0, 10_000) || 'Error',
      retryable: error.retryable,
      ...(error.stack ? { stack: error.stack.slice(0, 50_000) } : {}),
    });
  }

  release(lease: WorkerLease): Promise<unknown> {
    return this.write(lease, 'release', { token: lease.token });
  }

  /** Stops leasing: `claim` answers with nothing from now on. */
  drain(): void {
    this.drained.abort();
  }

  /** Ends a lease request still waiting (after `drain`, when the server did not end it). */
  abortPendingLease(): void {
    this.pendingLease?.abort();
  }

  get leasePending(): boolean {
    return this.pendingLease !== null;
  }

  /** Streams an artifact to the server (not retried: a stream is read once). */
  async putArtifact(
    lease: WorkerLease,
    name: string,
    body: Readable,
    options: { contentType?: string; size?: number },
  ): Promise<StoredArtifact> {
    const headers: Record<string, string> = {
      'x-lease-token': lease.token,
      'content-type': options.contentType ?? 'application/octet-stream',
    };
    if (options.size !== undefined) headers['content-length'] = String(options.size);
    const stored = await callServer<StoredArtifact>(
      this.target,
      'PUT',
      `/workers/${this.workerId}/jobs/${encodeURIComponent(lease.id)}/artifacts/${encodeURIComponent(name)}`,
      { stream: body, headers },
      { timeoutMs: uploadTimeoutMs },
    );
    return { name: stored.name, size: stored.size, contentType: stored.contentType, sha256: stored.sha256 };
  }

  async deregister(): Promise<void> {
    if (!this.id) return;
    await this.call('DELETE', `/workers/${this.id}`, undefined, { timeoutMs: 5_000 });
  }

  /** A write that survives a short outage: retried until the lease would have expired. */
  private async write(lease: WorkerLease, action: string, body: Record<string, unknown>): Promise<unknown> {
    const text = JSON.stringify(body);
    const deadline = Date.now() + this.leaseMs;
    const backoff = new Backoff({ baseMs: 200, maxMs: 5_000 });
    for (;;) {
      try {
        return await this.callText(
          'POST',
          `/workers/${this.workerId}/jobs/${encodeURIComponent(lease.id)}/${action}`,
          text,
        );
      } catch (error) {
        const wait = backoff.fail();
        if (!isConnectionError(error) || Date.now() + wait > deadline) throw error;
        await sleep(wait);
      }
    }
  }

  private async registerAgainIfForgotten(error: unknown): Promise<boolean> {
    if (!isJobgateError(error) || error.code !== 'JOBGATE_ERR_WORKER_NOT_FOUND' || !this.spec) return false;
    await this.register(this.spec);
    return true;
  }

  private call<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    return this.callText<T>(method, path, body === undefined ? undefined : JSON.stringify(body), options);
  }

  private callText<T>(
    method: string,
    path: string,
    body: string | undefined,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    return callServer<T>(this.target, method, path, body, {
      timeoutMs: options.timeoutMs ?? requestSlackMs,
      signal: options.signal,
    });
  }
}

export { WorkerConnectionError };
