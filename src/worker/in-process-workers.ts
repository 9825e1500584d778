/**
 * In-process handlers: `workers.register('render', handler, { concurrency: 2 })` runs
 * the handler inside this server process, leasing straight from the engine (no HTTP).
 * Woken by the engine's events, so an idle worker picks up a new job at once.
 */

import type { IdleSlots } from '../domain/idle-slots.js';
import type { ArtifactService } from '../engine/artifact-service.js';
import type { Engine } from '../engine/engine.js';
import {
  emptyWorkerDirectory,
  noWorkers,
  type WorkerCounts,
  type WorkerDirectory,
} from '../engine/worker-directory.js';
import type { JobHandler } from './handler.js';
import { QueueWorker } from './queue-worker.js';
import type { WorkerBackend } from './worker-backend.js';

const wakeKinds = new Set(['queued', 'completed', 'failed', 'cancelled', 'released', 'requeued']);

export function engineBackend(engine: Engine, artifacts?: ArtifactService): WorkerBackend {
  return {
    putArtifact: artifacts
      ? async (lease, name, body, options) => {
          const { size, contentType, sha256 } = await artifacts.put(lease, name, body, {
            contentType: options.contentType,
            declaredBytes: options.size,
          });
          return { name, size, contentType, sha256 };
        }
      : undefined,
    leaseMs: engine.leaseMs,
    claim: (request) => engine.claim(request),
    heartbeat: (leases) => engine.heartbeat(leases),
    progress: (lease, progress) => engine.progress(lease, progress),
    complete: (lease, result) => engine.complete(lease, result),
    completeAndClaim: async (lease, result, next, job) =>
      (await engine.completeAndClaim(lease, result, next, job)).next,
    fail: (lease, error, attempt, queue) => engine.fail(lease, error, attempt, queue),
    release: (lease) => engine.release(lease),
    // A freed slot on the queue can unblock capacity, so completions wake workers too.
    onWork: (queue, callback) =>
      engine.events.subscribe((event) => {
        if (event.job.queue === queue && wakeKinds.has(event.kind)) callback(event.job.id);
      }),
  };
}

export interface RegisterOptions {
  concurrency?: number;
  pollMs?: number;
  /** Defaults to a third of the engine's lease. */
  heartbeatMs?: number;
}

/** Also the engine's worker directory for the in-process slots (`engine.setWorkerDirectory(workers)`). */
export class InProcessWorkers implements WorkerDirectory {
  private readonly engine: Engine;
  private readonly workers: QueueWorker[] = [];
  private started = false;
  private readonly artifacts: ArtifactService | undefined;

  /** Becomes the engine's worker directory unless it has one (a server composes its own). */
  constructor(engine: Engine, options: { artifacts?: ArtifactService } = {}) {
    this.engine = engine;
    this.artifacts = options.artifacts;
    if (engine.workers === emptyWorkerDirectory) engine.setWorkerDirectory(this);
  }

  register(queue: string, handler: JobHandler, options: RegisterOptions = {}): QueueWorker {
    const worker = new QueueWorker({
      backend: engineBackend(this.engine, this.artifacts),
      queue,
      handler,
      concurrency: options.concurrency,
      pollMs: options.pollMs,
      heartbeatMs: options.heartbeatMs,
      subscribeCancels: (callback) =>
        this.engine.events.subscribe((event) => {
          if (event.kind === 'cancel_requested' && event.job.queue === queue) callback(event.job.id);
        }),
    });
    // A worker error (e.g. the store briefly unreachable) is retried by the worker; it must not crash the process.
    worker.on('error', () => {});
    this.workers.push(worker);
    if (this.started) worker.start();
    return worker;
  }

  queues(): string[] {
    return [...new Set(this.workers.map((worker) => worker.queue))].sort();
  }

  states(queue: string): WorkerCounts {
    const counts = noWorkers();
    for (const worker of this.workers) {
      if (worker.queue !== queue) continue;
      const slots = worker.slotStates();
      counts.idle += slots.idle;
      counts.running += slots.running;
      counts.draining += slots.draining;
    }
    return counts;
  }

  wake(queue: string): void {
    for (const worker of this.workers) if (worker.queue === queue) worker.wake();
  }

  reserveIdle(queue: string): IdleSlots | null {
    for (const worker of this.workers) {
      const slots = worker.queue === queue ? worker.reserveIdle() : null;
      if (slots) return slots;
    }
    return null;
  }

  list(): readonly QueueWorker[] {
    return this.workers;
  }

  start(): void {
    this.started = true;
    for (const worker of this.workers) worker.start();
  }

  async stop(graceMs?: number): Promise<void> {
    this.started = false;
    await Promise.all(this.workers.map((worker) => worker.stop(graceMs)));
  }
}
