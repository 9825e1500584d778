/**
 * Runs a handler over one queue with a fixed concurrency.
 *
 * Per job: claim → handler(job, ctx) raced against its AbortSignal → complete / fail /
 * release. The signal aborts on cancel, on timeout, on a lost lease and on shutdown
 * (`signal.reason` says which). A handler that ignores its signal cannot be killed
 * in-process, but its late result is never written: the attempt is settled the moment
 * the signal fires, and a stale lease token is refused by the store anyway.
 *
 * Shutdown: stop claiming, wait up to the grace period for running jobs, then abort
 * the rest and release their leases so another worker picks them up at once.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Readable } from 'node:stream';
import { isJobgateError, JobgateError } from '../domain/errors.js';
import type { IdleSlots } from '../domain/idle-slots.js';
import type { ClaimedJob, JobError } from '../domain/job.js';
import {
  type AbortReason,
  type ArtifactBody,
  type ArtifactUploader,
  type HandlerContext,
  type JobHandler,
  type StoredArtifact,
  UnrecoverableError,
} from './handler.js';
import type { WorkerBackend, WorkerLease } from './worker-backend.js';

export interface QueueWorkerOptions {
  backend: WorkerBackend;
  queue: string;
  handler: JobHandler;
  concurrency?: number;
  workerId?: string;
  /** How long an idle worker waits before asking again when nothing wakes it. */
  pollMs?: number;
  /** Defaults to a third of the lease. */
  heartbeatMs?: number;
  /** Called with a cancelled job's id as soon as the backend learns of it (in-process). */
  subscribeCancels?: (callback: (jobId: string) => void) => () => void;
}

/**
 * One attempt's abort state. Its AbortController is made only when the handler reads
 * `ctx.signal`: many handlers never do, and a controller, its signal and the abort event
 * at the end of every attempt were a few percent of a busy worker's CPU.
 */
class AttemptAbort {
  reason: AbortReason | null = null;
  /** Rejects with the reason on abort: raced against the handler. */
  readonly raced: Promise<never>;
  private controller: AbortController | null = null;
  private rejectRace!: (reason: AbortReason) => void;

  constructor() {
    this.raced = new Promise<never>((_, reject) => {
      this.rejectRace = reject;
    });
    this.raced.catch(() => {});
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason: AbortReason): void {
    if (this.reason) return;
    this.reason = reason;
    this.rejectRace(reason);
    this.controller?.abort(reason);
  }
}

/**
 * What a handler gets besides its job. A class, not an object literal: a literal with a
 * getter (`signal`) builds a fresh hidden class per object in Node 20's V8, which kept
 * every attempt's objects alive into the old generation (see asClaimed in domain/job.ts).
 * `progress` is a bound arrow so handlers may destructure it.
 */
class AttemptContext implements HandlerContext {
  constructor(
    readonly attempt: number,
    private readonly abort: AttemptAbort,
    private readonly lease: WorkerLease,
    private readonly backend: WorkerBackend,
  ) {}

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get artifacts(): ArtifactUploader {
    return { put: this.putArtifact };
  }

  private readonly putArtifact = async (
    name: string,
    body: ArtifactBody,
    options: { contentType?: string } = {},
  ): Promise<StoredArtifact> => {
    if (!this.backend.putArtifact)
      throw new JobgateError('JOBGATE_ERR_BAD_REQUEST', 'This worker’s server keeps no artifacts');
    const bytes = typeof body === 'string' ? Buffer.from(body) : body instanceof Uint8Array ? body : null;
    const stream = bytes
      ? Readable.from([bytes])
      : body instanceof Readable
        ? body
        : Readable.from(body as AsyncIterable<Uint8Array>);
    try {
      return await this.backend.putArtifact(this.lease, name, stream, {
        contentType:
          options.contentType ?? (typeof body === 'string' ? 'text/plain; charset=utf-8' : undefined),
        size: bytes?.length,
      });
    } catch (error) {
      if (isJobgateError(error) && error.code === 'JOBGATE_ERR_LEASE_LOST') this.abort.abort('lease_lost');
      throw error;
    }
  };

  readonly progress = async (percent: number, stage?: string, message?: string): Promise<void> => {
    if (this.abort.reason) return;
    try {
      const clamped = Math.min(100, Math.max(0, Number.isFinite(percent) ? percent : 0));
      await this.backend.progress(this.lease, {
        percent: clamped,
        stage: stage ?? null,
        message: message ?? null,
      });
    } catch (error) {
      if (isJobgateError(error) && error.code === 'JOBGATE_ERR_LEASE_LOST') this.abort.abort('lease_lost');
      else throw error;
    }
  };
}

interface ActiveJob {
  job: ClaimedJob;
  lease: WorkerLease;
  attempt: AttemptAbort;
  done: Promise<void>;
  /** The completion's own claim for this slot found nothing: a claim now would find nothing too. */
  drained?: boolean;
}

export const pollMsDefault = 1_000;
const claimErrorBackoffMs = 1_000;

export class QueueWorker extends EventEmitter {
  readonly workerId: string;
  readonly queue: string;
  private readonly options: QueueWorkerOptions;
  readonly concurrency: number;
  private readonly active = new Map<string, ActiveJob>();
  /** Free slots held for jobs being leased on this worker's behalf (see reserveIdle). */
  private reserved = 0;
  private stopping = true;
  private loopDone: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  /** Set by a wake that arrives while the loop is not sleeping, so it is not lost. */
  private woken = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private unsubscribers: Array<() => void> = [];

  constructor(options: QueueWorkerOptions) {
    super();
    this.options = options;
    this.queue = options.queue;
    this.concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1)
      throw new Error('concurrency must be a positive integer');
    this.workerId = options.workerId ?? `worker-${randomUUID().slice(0, 8)}`;
  }

  get running(): number {
    return this.active.size;
  }

  /**
   * This worker's slots by state. Started: each slot runs a job or is idle. Stopping:
   * the slots still finishing a job are draining and the rest are gone. Stopped: none.
   */
  slotStates(): { idle: number; running: number; draining: number } {
    if (!this.stopping) {
      return { idle: this.concurrency - this.active.size, running: this.active.size, draining: 0 };
    }
    return { idle: 0, running: 0, draining: this.active.size };
  }

  start(): void {
    if (!this.stopping) return;
    this.stopping = false;
    const { backend } = this.options;
    if (backend.onWork) {
      // A transition of a job this worker holds (its own completion, failure or release)
      // is followed by the settle of its slot, which claims or wakes for that slot itself;
      // waking on it too made every lone completion claim once more for nothing.
      const onWork = (jobId: string) => {
        if (!this.active.has(jobId)) this.wake();
      };
      this.unsubscribers.push(backend.onWork(this.queue, onWork));
    }
    if (this.options.subscribeCancels) {
      this.unsubscribers.push(
        this.options.subscribeCancels((jobId) => this.active.get(jobId)?.attempt.abort('cancelled')),
      );
    }
    const heartbeatMs = this.options.heartbeatMs ?? Math.max(50, Math.floor(backend.leaseMs / 3));
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), heartbeatMs);
    this.heartbeatTimer.unref();
    this.loopDone = this.loop();
  }

  /** Stops leasing; waits up to `graceMs` for running jobs, then releases the rest. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopping && !this.loopDone) return;
    this.stopping = true;
    this.wake();
    await this.loopDone;
    this.loopDone = null;
    const all = () => Promise.all([...this.active.values()].map((entry) => entry.done));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([all(), graceOver]);
    clearTimeout(timer);
    for (const entry of this.active.values()) entry.attempt.abort('shutdown');
    await all();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
    this.emit('stopped');
  }

  /** Cuts an idle wait short: work may be waiting. */
  wake(): void {
    this.woken = true;
    // With every slot busy the loop has nothing to do: the next settle wakes it again.
    if (!this.stopping && this.active.size + this.reserved >= this.concurrency) return;
    this.wakeUp?.();
  }

  /**
   * Holds this worker's free slots for jobs leased on its behalf (a submit's admission
   * claims for it in the same step). Only while the loop sleeps: a claim of its own on
   * the wire would compete for the same slots.
   */
  reserveIdle(): IdleSlots | null {
    if (this.stopping || !this.wakeUp) return null;
    const count = this.concurrency - this.active.size - this.reserved;
    if (count <= 0) return null;
    this.reserved += count;
    let open = true;
    const settle = () => {
      if (!open) return false;
      open = false;
      this.reserved -= count;
      return true;
    };
    return {
      workerId: this.workerId,
      count,
      fill: (jobs) => {
        if (!settle()) return;
        // Stopped meanwhile: the leases go back at once rather than wait out their expiry.
        if (this.stopping) {
          for (const job of jobs) {
            this.options.backend.release({ id: job.id, token: job.leaseToken }).catch((error: unknown) => {
              this.emit('error', error);
            });
          }
          return;
        }
        for (const job of jobs) this.run(job);
        // Work that announced itself while the slots were held found none free: a slot
        // left unfilled claims for it now instead of at the next poll.
        if (jobs.length < count && this.woken) this.wake();
      },
      release: () => {
        if (settle()) this.wake();
      },
    };
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    }).finally(() => {
      this.wakeUp = null;
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const free = this.concurrency - this.active.size - this.reserved;
      if (free <= 0) {
        this.woken = false;
        await this.sleep(this.options.pollMs ?? pollMsDefault);
        continue;
      }
      let jobs: ClaimedJob[];
      // Any wake from here on may mean work this claim does not see: it must cut the next sleep short.
      this.woken = false;
      try {
        jobs = await this.options.backend.claim({ queue: this.queue, workerId: this.workerId, limit: free });
      } catch (error) {
        this.emit('error', error);
        await this.sleep(claimErrorBackoffMs);
        continue;
      }
      for (const job of jobs) this.run(job);
      if (jobs.length === 0) await this.sleep(this.options.pollMs ?? pollMsDefault);
    }
  }

  private run(job: ClaimedJob): void {
    const lease = { id: job.id, token: job.leaseToken };
    const entry: ActiveJob = { job, lease, attempt: new AttemptAbort(), done: Promise.resolve() };
    this.active.set(job.id, entry);
    entry.done = this.execute(entry).finally(() => {
      this.active.delete(job.id);
      this.emit('settled', job.id);
      // A completion whose own claim found nothing needs no claim after it, unless work
      // announced itself while every slot was busy (that wake found no free slot).
      if (!entry.drained || this.woken) this.wake();
    });
  }

  private async execute(entry: ActiveJob): Promise<void> {
    const { job, lease, attempt } = entry;
    const { backend, handler } = this.options;
    const timer = job.timeoutMs ? setTimeout(() => attempt.abort('timeout'), job.timeoutMs) : null;
    const ctx = new AttemptContext(job.attempts, attempt, lease, backend);
    try {
      let outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
      try {
        outcome = {
          ok: true,
          result: await Promise.race([Promise.resolve().then(() => handler(job, ctx)), attempt.raced]),
        };
      } catch (error) {
        outcome = { ok: false, error };
      }
      if (timer) clearTimeout(timer);
      const reason = attempt.reason;
      if (reason === 'lease_lost') return;
      if (reason === 'shutdown') {
        await backend.release(lease);
      } else if (reason === 'cancelled') {
        await backend.fail(lease, { message: 'Cancelled', retryable: false }, job.attempts);
      } else if (reason === 'timeout') {
        await backend.fail(
          lease,
          { message: `Timed out after ${job.timeoutMs} ms`, retryable: true },
          job.attempts,
          job.queue,
        );
      } else if (outcome.ok) {
        entry.drained = await this.completeOrExplain(job, lease, outcome.result ?? null);
      } else {
        await backend.fail(lease, toJobError(outcome.error), job.attempts, job.queue);
      }
      this.emit('job', job.id);
    } catch (error) {
      // A lost lease means the job is someone else's now: nothing to write.
      if (isJobgateError(error) && error.code === 'JOBGATE_ERR_LEASE_LOST') return;
      this.emit('error', error);
    } finally {
      if (timer) clearTimeout(timer);
      // Work the handler left behind learns the attempt is over.
      attempt.abort('shutdown');
    }
  }

  /**
   * A result that cannot be stored (a BigInt, a cycle) fails the job with that reason
   * instead of stranding it. Returns whether the completion's claim for the freed slot
   * found the queue with nothing to lease.
   */
  private async completeOrExplain(job: ClaimedJob, lease: WorkerLease, result: unknown): Promise<boolean> {
    const { backend } = this.options;
    try {
      if (backend.completeAndClaim && !this.stopping) {
        // This job's slot goes straight to the next job: no separate claim round trip.
        const next = await backend.completeAndClaim(
          lease,
          result,
          { queue: this.queue, workerId: this.workerId, limit: 1 },
          job,
        );
        for (const claimed of next) this.run(claimed);
        return next.length === 0;
      }
      await backend.complete(lease, result);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      await this.options.backend.fail(
        lease,
        { message: `The handler's result cannot be stored as JSON: ${error.message}`, retryable: false },
        job.attempts,
      );
    }
    return false;
  }

  private async heartbeat(): Promise<void> {
    if (this.active.size === 0) return;
    const leases = [...this.active.values()].map((entry) => entry.lease);
    try {
      const { lost, cancel } = await this.options.backend.heartbeat(leases);
      for (const id of cancel) this.active.get(id)?.attempt.abort('cancelled');
      for (const id of lost) this.active.get(id)?.attempt.abort('lease_lost');
    } catch (error) {
      this.emit('error', error);
    }
  }
}

function toJobError(error: unknown): JobError {
  if (error instanceof Error) {
    return {
      message: error.message || error.name,
      retryable: !(error instanceof UnrecoverableError),
      stack: error.stack,
    };
  }
  return { message: String(error), retryable: true };
}
