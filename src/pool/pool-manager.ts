/**
 * The pool manager: keeps each pooled queue between its `min` and `max` workers through
 * a provider. A start/stop service; every `tickMs` it reads the registry and the queue
 * depth and lets each QueuePool plan (queue-pool.ts has the rules). Ticks, warmups and
 * live setting changes run one at a time, so two warmups never both start a worker.
 *
 * Crashes: a worker that exits unasked (or never registers, or goes silent) counts as a
 * crash; starts on that queue are held back `crashBackoff.baseMs × 2^(n-1)` (capped),
 * and the count resets once a worker stays up `stableAfterMs`. A crashed worker's jobs
 * return to the queue when their leases expire (the reaper), like any dead worker's.
 *
 * Start times: from a member's spawn to its own registration, an exponentially weighted
 * mean per queue, which `coldStart` offers wait estimates (domain/wait-estimate.ts).
 *
 * Signals for tests and metrics: `tick` after each tick, `started`, `stopped` and `crashed`
 * with the worker id (`started` and `crashed` also with its queue), `warmup` with the
 * queue and the outcome; `registered` with the record written for a member before its spawn
 * (the worker directory counts it as initializing from then on).
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { JobgateError } from '../domain/errors.js';
import type { ColdStart } from '../domain/wait-estimate.js';
import type { Engine } from '../engine/engine.js';
import type { WorkerDirectory } from '../engine/worker-directory.js';
import type { WorkerRegistry } from '../engine/worker-registry.js';
import type { WorkerRecord } from '../store/store.js';
import type { PoolProvider, WorkerExit } from './pool-provider.js';
import { type PoolSettings, QueuePool, validatePoolSettings } from './queue-pool.js';

export interface PoolManagerConfig {
  registry: WorkerRegistry;
  provider: PoolProvider;
  pools: Record<string, PoolSettings>;
  /** Slots the pools do not manage (in-process workers), counted by warmup. */
  otherWorkers?: WorkerDirectory;
  tickMs?: number;
  /** How long a stopped worker may finish its jobs. */
  graceMs?: number;
  crashBackoff?: { baseMs: number; maxMs: number };
  stableAfterMs?: number;
  onError?: (error: unknown) => void;
  /** A worker crashed: its id, exit and last output. */
  onCrash?: (queue: string, exit: WorkerExit) => void;
}

export interface Connection {
  url: string;
  key: string;
}

export type WarmupStatus = 'noop' | 'started' | 'starting' | 'at_capacity';

export interface WarmupResult {
  queue: string;
  /** noop: a worker is ready or idle · started: this call started one · starting: one is
   * initializing already, nothing more was started · at_capacity: the pool is at max, all busy. */
  status: WarmupStatus;
  /** Slots ready or idle (a worker of concurrency 1 is one slot). */
  workersReady: number;
  workersInitializing: number;
  workersRunning: number;
  /** Workers this call started. */
  started: string[];
}

export interface PoolStatus {
  queue: string;
  provider: string;
  min: number;
  max: number;
  idleTimeoutSec: number;
  concurrency: number;
  workers: Array<{ id: string; phase: 'initializing' | 'live' | 'stopping' }>;
  /**
   * Set while the pool's workers keep failing (none has stayed up `stableAfterMs` since):
   * how many in a row, why the last one did (its last output line, e.g. a refused key),
   * and when starts resume (epoch ms).
   */
  crashLoop: { crashes: number; reason: string; lastCrashAt: number; nextStartAt: number } | null;
}

export const tickMsDefault = 1_000;
export const crashBackoffDefault = { baseMs: 1_000, maxMs: 30_000 };
export const stableAfterMsDefault = 30_000;
const startMeanAlpha = 0.2;

export class PoolManager extends EventEmitter {
  private readonly config: PoolManagerConfig;
  private readonly registry: WorkerRegistry;
  private readonly engine: Engine;
  private readonly pools = new Map<string, QueuePool>();
  private readonly crashes = new Map<
    string,
    { count: number; holdUntil: number; reason: string; at: number }
  >();
  /** Members stopped because they failed (counted as crashes already): shown dead once gone. */
  private readonly failed = new Set<string>();
  /** Measured start times per queue (spawn → registered). */
  private readonly starts = new Map<string, { ms: number; samples: number }>();
  private connection: Connection | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopped = true;

  constructor(config: PoolManagerConfig) {
    super();
    this.config = config;
    this.registry = config.registry;
    this.engine = config.registry.engine;
    for (const [queue, settings] of Object.entries(config.pools))
      this.pools.set(queue, new QueuePool(queue, settings));
    if (!((config.tickMs ?? tickMsDefault) > 0)) throw new Error('PoolManager.tickMs must be above zero');
  }

  has(queue: string): boolean {
    return this.pools.has(queue);
  }

  queues(): string[] {
    return [...this.pools.keys()];
  }

  /** Starts ticking; workers it starts connect to `connection` (known once the server listens). */
  start(connection: Connection): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connection = connection;
    this.unsubscribe = this.config.provider.onExit((exit) => void this.serial(() => this.exited(exit)));
    this.schedule(0);
  }

  /** Stops ticking and every worker (they drain first). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.lock;
    await this.config.provider.close();
    // Exits were reported during close; settle their bookkeeping before letting go.
    await this.lock;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** One tick now (tests; and after a change that should act at once). */
  tick(): Promise<void> {
    return this.serial(() => this.tickNow());
  }

  /** Emits `warmup` (queue, status) with each outcome, for the metrics. */
  async warmup(queue: string): Promise<WarmupResult> {
    const result = await this.serial(() => this.warmupNow(queue));
    this.emit('warmup', queue, result.status);
    return result;
  }

  /** Changes a pool's settings live (not persisted: a restart reads the config file again). */
  update(
    queue: string,
    change: Partial<Pick<PoolSettings, 'min' | 'max' | 'idleTimeoutSec'>>,
  ): Promise<PoolStatus> {
    return this.serial(async () => {
      const pool = this.poolOf(queue);
      const next = { ...pool.settings, ...definedOnly(change) };
      try {
        validatePoolSettings(queue, next);
      } catch (error) {
        throw new JobgateError(
          'JOBGATE_ERR_VALIDATION',
          (error as Error).message.replace(`queues.${queue}.pool.`, ''),
        );
      }
      pool.settings = next;
      await this.tickNow();
      return this.statusOf(pool);
    });
  }

  /**
   * What this pool will bring up for `queue` when it has no live slot: its slots and the
   * measured start time (plus half a tick, before the pool notices a waiting job, unless
   * a member is starting already). Null when the queue has no pool or the manager is stopped.
   */
  coldStart(queue: string): ColdStart | null {
    const pool = this.pools.get(queue);
    if (!pool || this.stopped) return null;
    const measured = this.starts.get(queue);
    const starting = [...pool.members.values()].filter((member) => member.phase === 'initializing');
    const oldest = starting.length ? Math.min(...starting.map((member) => member.startedAt)) : null;
    const noticeMs = oldest === null ? (this.config.tickMs ?? tickMsDefault) / 2 : 0;
    return {
      slots: pool.settings.max * pool.concurrency,
      startMs: measured ? measured.ms + noticeMs : null,
      startSamples: measured?.samples ?? 0,
      startingForMs: oldest === null ? null : Math.max(0, Date.now() - oldest),
    };
  }

  private recordStart(queue: string, ms: number): void {
    if (!(ms >= 0)) return;
    const mean = this.starts.get(queue);
    this.starts.set(
      queue,
      mean
        ? { ms: mean.ms + startMeanAlpha * (ms - mean.ms), samples: mean.samples + 1 }
        : { ms, samples: 1 },
    );
  }

  status(queue: string): PoolStatus {
    return this.statusOf(this.poolOf(queue));
  }

  private statusOf(pool: QueuePool): PoolStatus {
    const crash = this.crashes.get(pool.queue);
    return {
      queue: pool.queue,
      provider: this.config.provider.name,
      min: pool.settings.min,
      max: pool.settings.max,
      idleTimeoutSec: pool.settings.idleTimeoutSec,
      concurrency: pool.concurrency,
      workers: [...pool.members.values()].map(({ id, phase }) => ({ id, phase })),
      crashLoop: crash
        ? { crashes: crash.count, reason: crash.reason, lastCrashAt: crash.at, nextStartAt: crash.holdUntil }
        : null,
    };
  }

  private poolOf(queue: string): QueuePool {
    const pool = this.pools.get(queue);
    if (!pool)
      throw new JobgateError(
        'JOBGATE_ERR_UNPROCESSABLE',
        `Queue ${queue} has no pool (configure queues.${queue}.pool)`,
        {
          details: { queue },
        },
      );
    return pool;
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.lock.then(run, run);
    this.lock = next.catch(() => {});
    return next;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tick()
        .catch((error: unknown) => this.config.onError?.(error))
        .finally(() => {
          this.emit('tick');
          this.schedule(this.config.tickMs ?? tickMsDefault);
        });
    }, delayMs);
    this.timer.unref();
  }

  private async observe(): Promise<{ now: number; records: Map<string, WorkerRecord> }> {
    const [records, now] = await Promise.all([this.registry.list(), this.engine.store.now()]);
    return { now, records: new Map(records.map((record) => [record.id, record])) };
  }

  private async tickNow(): Promise<void> {
    if (this.stopped) return;
    const { now, records } = await this.observe();
    const stableMs = this.config.stableAfterMs ?? stableAfterMsDefault;
    for (const pool of this.pools.values()) {
      // A worker that stayed up long enough ends the crash loop (and its backoff).
      for (const member of pool.members.values())
        if (member.liveSince !== null && now - member.liveSince >= stableMs) this.crashes.delete(pool.queue);
      const counts = await this.engine.counts(pool.queue);
      const plan = pool.plan({
        now,
        queued: counts.queued,
        records,
        holdStartsUntil: this.crashes.get(pool.queue)?.holdUntil ?? 0,
        startTimeoutMs: this.registry.initializingTimeoutMs,
      });
      for (const { startMs } of plan.live) this.recordStart(pool.queue, startMs);
      for (const id of plan.failed) {
        this.failed.add(id);
        this.crashed(pool.queue, id, now, 'it did not register (or went silent) in time');
      }
      for (const id of plan.stop) this.stopMember(pool, id);
      for (let i = 0; i < plan.start; i++) await this.startMember(pool, now);
    }
  }

  private async warmupNow(queue: string): Promise<WarmupResult> {
    const { now, records } = await this.observe();
    const serving = [...records.values()].filter((record) => record.queues.includes(queue));
    const other = this.config.otherWorkers?.states(queue);
    let ready = (other?.ready ?? 0) + (other?.idle ?? 0);
    let running = other?.running ?? 0;
    let initializing = other?.initializing ?? 0;
    for (const record of serving) {
      const busy = Math.min(record.running, record.concurrency);
      if (record.state === 'ready' || record.state === 'idle' || record.state === 'running') {
        ready += record.concurrency - busy;
        running += busy;
      } else if (record.state === 'initializing') initializing += record.concurrency;
    }
    const pool = this.pools.get(queue);
    // Members not yet registered count as initializing even before their record says so.
    for (const member of pool?.members.values() ?? []) {
      if (member.phase === 'initializing' && records.get(member.id)?.state !== 'initializing')
        initializing += pool!.concurrency;
    }
    const result = (status: WarmupStatus, started: string[] = []): WarmupResult => ({
      queue,
      status,
      workersReady: ready,
      workersInitializing: initializing,
      workersRunning: running,
      started,
    });
    if (ready > 0) {
      // A warmed queue should stay warm a while: the idle clock starts again.
      for (const member of pool?.members.values() ?? [])
        if (member.idleSince !== null) member.idleSince = now;
      return result('noop');
    }
    if (initializing > 0) return result('starting');
    const target = this.poolOf(queue);
    if (this.stopped || !this.connection) throw new JobgateError('JOBGATE_ERR_SHUTTING_DOWN');
    if (target.members.size >= target.settings.max) return result('at_capacity');
    const id = await this.startMember(target, now);
    // The worker it started is initializing from its spawn: the answer counts it.
    if (id) initializing += target.concurrency;
    return result(id ? 'started' : 'starting', id ? [id] : []);
  }

  /** Registers the worker as initializing (so warmups see it at once), then launches it. */
  private async startMember(pool: QueuePool, now: number): Promise<string | null> {
    if (!this.connection || this.stopped) return null;
    const id = `pw_${randomBytes(8).toString('hex')}`;
    const labels = { pool: pool.queue, provider: this.config.provider.name };
    const { worker } = await this.registry.register({
      id,
      queues: [pool.queue],
      concurrency: pool.concurrency,
      labels,
      state: 'initializing',
      keepLabels: true,
    });
    this.emit('registered', worker);
    pool.members.set(id, { id, phase: 'initializing', startedAt: now, liveSince: null, idleSince: null });
    try {
      await this.config.provider.start({
        workerId: id,
        queue: pool.queue,
        url: this.connection.url,
        key: this.connection.key,
        concurrency: pool.concurrency,
        handlers: pool.settings.handlers,
        command: pool.settings.command,
        labels,
        graceMs: this.config.graceMs ?? 10_000,
      });
    } catch (error) {
      // Its exit was reported too (and counted as a crash) when the provider could not launch it.
      if (pool.members.delete(id))
        this.crashed(pool.queue, id, now, `it could not be started: ${(error as Error).message}`);
      await this.registry.markDead(id).catch(() => {});
      this.config.onError?.(error);
      return null;
    }
    this.emit('started', id, pool.queue);
    return id;
  }

  private stopMember(pool: QueuePool, id: string): void {
    const member = pool.members.get(id);
    if (!member || member.phase === 'stopping') return;
    member.phase = 'stopping';
    // Not awaited: a draining worker may take its grace; the exit handler settles it.
    this.config.provider.stop(id).catch((error: unknown) => this.config.onError?.(error));
  }

  private async exited(exit: WorkerExit): Promise<void> {
    for (const pool of this.pools.values()) {
      const member = pool.members.get(exit.workerId);
      if (!member) continue;
      pool.members.delete(exit.workerId);
      const now = await this.engine.store.now().catch(() => Date.now());
      if (exit.crashed) {
        if (
          member.liveSince !== null &&
          now - member.liveSince >= (this.config.stableAfterMs ?? stableAfterMsDefault)
        )
          this.crashes.delete(pool.queue);
        this.crashed(pool.queue, exit.workerId, now, exitReason(exit));
        this.config.onCrash?.(pool.queue, exit);
        await this.registry.markDead(exit.workerId).catch(() => {});
      } else if (this.failed.delete(exit.workerId)) {
        await this.registry.markDead(exit.workerId).catch(() => {});
        this.emit('stopped', exit.workerId);
      } else {
        await this.registry.deregister(exit.workerId).catch(() => {});
        this.emit('stopped', exit.workerId);
      }
    }
  }

  private crashed(queue: string, workerId: string, now: number, reason: string): void {
    const { baseMs, maxMs } = this.config.crashBackoff ?? crashBackoffDefault;
    const count = (this.crashes.get(queue)?.count ?? 0) + 1;
    const holdUntil = now + Math.min(maxMs, baseMs * 2 ** (count - 1));
    this.crashes.set(queue, { count, holdUntil, reason, at: now });
    this.emit('crashed', workerId, queue);
  }
}

/** Why a worker ended unasked: its exit and the last line it wrote (a worker's own error message). */
function exitReason(exit: WorkerExit): string {
  const lines = exit.output.split('\n').map((line) => line.trim());
  const last = lines.filter((line) => line.length > 0).at(-1);
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
  return last ? `${how}: ${last}` : how;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
