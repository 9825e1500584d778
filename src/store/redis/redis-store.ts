/**
 * The Redis backend: every state change is one Lua script (src/store/redis/lua/, loaded
 * once and called by SHA through ioredis' defineCommand), so it is atomic across any
 * number of servers. Time inside scripts is Redis' own `TIME`, so leases are judged by
 * one clock for all hosts. All keys share one hash tag (see redis-keys.ts).
 *
 * Outages: the client does not queue commands while disconnected
 * (`enableOfflineQueue: false`), so a call fails at once with a connection error that
 * callers map to 503, and ioredis reconnects by itself in the background.
 */
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { JobgateError } from '../../domain/errors.js';
import type { FairnessSettings } from '../../domain/fair-share.js';
import { fairnessDefault } from '../../domain/fair-share.js';
import type { ClaimedJob, Job, JobError, JobProgress } from '../../domain/job.js';
import { JOB_STATUSES, type JobStatus } from '../../domain/job-states.js';
import { DAY_MS, dayIndex, dayStart } from '../../domain/quota-calendar.js';
import type {
  AdmitRequest,
  AdmitResult,
  ApiKeyRecord,
  CancelResult,
  ClaimRequest,
  DailyUsage,
  FinishedSample,
  HeartbeatResult,
  JobPage,
  JobStore,
  LeaseRef,
  ListFilter,
  PurgeRequest,
  QueueSettings,
  QueueState,
  StatusCounts,
  StoreEvent,
  TokenRequest,
  TokenResult,
  WorkerRecord,
  WorkerState,
} from '../store.js';
import { type StoreFailureCode, storeFailure } from '../store-errors.js';
import { type ScriptName, scripts } from './generated/scripts.js';
import { toClaimedJob, toFields, toJob } from './redis-job.js';
import { type RedisKeys, redisKeys } from './redis-keys.js';

export interface RedisStoreOptions {
  url: string;
  /** Key prefix; tests give each store its own. */
  prefix?: string;
  fairness?: FairnessSettings;
  /** Tests only: a fixed clock used instead of Redis' TIME, so times are exact. */
  clock?: () => number;
}

type ScriptCaller = (base: string, clock: string, ...args: Array<string | number>) => Promise<unknown>;
type Reply = unknown[];

const failureCodes: Record<string, StoreFailureCode> = {
  not_found: 'not_found',
  lease_lost: 'lease_lost',
  illegal: 'illegal',
  idempotency_conflict: 'idempotency_conflict',
  queue_full: 'queue_full',
  quota_exhausted: 'quota_exhausted',
};

export class RedisStore implements JobStore {
  readonly name = 'redis';
  readonly capabilities = { sharedEvents: true };
  readonly redis: Redis;
  private subscriber: Redis | null = null;
  private readonly keys: RedisKeys;
  private readonly fairness: FairnessSettings;
  private readonly testClock: (() => number) | null;

  constructor(options: RedisStoreOptions) {
    const redisOptions: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
      // Reconnect quickly and forever: the server must recover by itself when Redis returns.
      retryStrategy: (times) => Math.min(100 * times, 1_000),
    };
    this.redis = new Redis(options.url, redisOptions);
    // Errors surface on the calls that fail; an unhandled 'error' event would crash the process.
    this.redis.on('error', () => {});
    this.keys = redisKeys(options.prefix);
    this.fairness = options.fairness ?? fairnessDefault;
    this.testClock = options.clock ?? null;
    for (const [name, lua] of Object.entries(scripts))
      this.redis.defineCommand(name, { numberOfKeys: 1, lua });
  }

  /** The scripts' clock argument: Redis' own TIME, or the test clock. */
  private clockArg(): string {
    return this.testClock ? `=${this.testClock()}` : '0';
  }

  /** Connects and writes the store settings; call once before use. */
  async connect(): Promise<void> {
    await this.redis.connect();
    await this.redis.hset(this.keys.config, 'aging', String(this.fairness.agingTurns));
  }

  /** The server's `maxmemory-policy`: anything but noeviction can silently drop jobs. */
  async maxmemoryPolicy(): Promise<string | null> {
    const reply = (await this.redis.config('GET', 'maxmemory-policy')) as string[];
    return reply[1] ?? null;
  }

  private run(name: ScriptName, ...args: Array<string | number>): Promise<unknown> {
    const call = (this.redis as unknown as Record<string, ScriptCaller>)[name]!;
    return call.call(this.redis, this.keys.base, this.clockArg(), ...args);
  }

  /** Unwraps `{'ok', job}` / `{'error', code, detail}` replies. */
  private async runJob(
    name: ScriptName,
    context: { id?: string; op: string },
    ...args: Array<string | number>
  ): Promise<Job> {
    const reply = (await this.run(name, ...args)) as Reply;
    if (reply[0] === 'error') throw this.failure(reply, context);
    return toJob(reply[1] as string[]);
  }

  private failure(reply: Reply, context: { id?: string; op?: string; queue?: string }): Error {
    const code = String(reply[1]);
    const detail = String(reply[2] ?? '');
    if (code === 'parent_not_found') {
      return new JobgateError('JOBGATE_ERR_UNPROCESSABLE', `Parent job ${detail} does not exist`, {
        details: { parentId: detail },
      });
    }
    const mapped = failureCodes[code];
    if (!mapped) return new JobgateError('JOBGATE_ERR_INTERNAL', `Unknown store reply ${code}`);
    return storeFailure(mapped, { ...context, status: detail as JobStatus, queue: context.queue ?? detail });
  }

  // ---- admission ------------------------------------------------------------------

  async admit(requests: AdmitRequest[]): Promise<Array<AdmitResult | { kind: 'error'; error: Error }>> {
    const pipeline = this.redis.pipeline();
    const payloads: string[] = [];
    for (const request of requests) {
      const { payload, ...job } = request.job;
      const payloadJson = JSON.stringify(payload ?? null);
      payloads.push(payloadJson);
      const body = JSON.stringify({ ...request, job: { ...job, payloadJson } });
      (pipeline as unknown as Record<string, (...args: Array<string | number>) => void>).admit!(
        this.keys.base,
        this.clockArg(),
        body,
      );
    }
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, value], index) => {
      if (error) return { kind: 'error' as const, error };
      const reply = value as Reply;
      if (reply[0] === 'error')
        return { kind: 'error' as const, error: this.failure(reply, { queue: requests[index]?.job.queue }) };
      if (reply[0] === 'duplicate') return { kind: 'duplicate' as const, job: toJob(reply[2] as string[]) };
      const job = admittedJob(requests[index]!, payloads[index]!, toFields(reply[2] as string[]));
      return { kind: 'created' as const, job, deferredByQuota: reply[1] === 1 };
    });
  }

  async configureQueue(settings: QueueSettings): Promise<void> {
    await this.run('configureQueue', settings.queue, settings.maxWorkers ?? '', settings.maxQueued ?? '', '');
  }

  async setPaused({ queue, paused }: { queue: string; paused: boolean }): Promise<void> {
    await this.run('configureQueue', queue, '', '', paused ? 1 : 0);
  }

  async queueState(queue: string): Promise<QueueState> {
    const f = await this.redis.hgetall(this.keys.queue(queue));
    return {
      queue,
      maxWorkers: f.max_workers === undefined ? null : Number(f.max_workers),
      maxQueued: f.max_queued === undefined ? null : Number(f.max_queued),
      paused: f.paused === '1',
    };
  }

  async clearQueue({ queue, limit }: { queue: string; limit: number }): Promise<Job[]> {
    return ((await this.run('clearQueue', queue, limit)) as string[][]).map(toJob);
  }

  async finishedSince({
    queue,
    since,
    limit,
  }: {
    queue: string;
    since: number;
    limit: number;
  }): Promise<FinishedSample[]> {
    const ids = await this.redis.zrevrangebyscore(
      this.keys.finished(queue),
      '+inf',
      since,
      'LIMIT',
      0,
      limit,
    );
    const pipeline = this.redis.pipeline();
    for (const id of ids)
      pipeline.hmget(this.keys.job(id), 'status', 'created_at', 'started_at', 'finished_at');
    const rows = (await pipeline.exec()) ?? [];
    return rows.flatMap(([, value]) => {
      const [status, createdAt, startedAt, finishedAt] = value as Array<string | null>;
      if (!status || !finishedAt) return [];
      return [
        {
          status: status as FinishedSample['status'],
          createdAt: Number(createdAt),
          startedAt: startedAt === null ? null : Number(startedAt),
          finishedAt: Number(finishedAt),
        },
      ];
    });
  }

  // ---- leasing --------------------------------------------------------------------

  async claim({ queue, workerId, limit, leaseMs }: ClaimRequest): Promise<ClaimedJob[]> {
    const tokens = Array.from({ length: limit }, () => randomUUID());
    return ((await this.run('claim', queue, workerId, limit, leaseMs, ...tokens)) as string[][]).map(
      toClaimedJob,
    );
  }

  async heartbeat({ leases, leaseMs }: { leases: LeaseRef[]; leaseMs: number }): Promise<HeartbeatResult> {
    if (leases.length === 0) return { extended: [], lost: [], cancel: [] };
    const [extended, lost, cancel] = (await this.run(
      'heartbeat',
      leaseMs,
      ...leases.flatMap((l) => [l.id, l.token]),
    )) as string[][];
    return { extended: extended ?? [], lost: lost ?? [], cancel: cancel ?? [] };
  }

  progress(request: LeaseRef & { progress: JobProgress }): Promise<Job> {
    return this.runJob(
      'progress',
      { id: request.id, op: 'progress' },
      request.id,
      request.token,
      JSON.stringify(request.progress),
    );
  }

  complete(request: LeaseRef & { result: unknown }): Promise<Job> {
    const result = JSON.stringify(request.result === undefined ? null : request.result);
    return this.runJob('complete', { id: request.id, op: 'complete' }, request.id, request.token, result);
  }

  async completeAndClaim(
    request: LeaseRef & { result: unknown; next: ClaimRequest },
  ): Promise<{ job: Job; next: ClaimedJob[] }> {
    const { queue, workerId, limit, leaseMs } = request.next;
    const result = JSON.stringify(request.result === undefined ? null : request.result);
    const tokens = Array.from({ length: limit }, () => randomUUID());
    const reply = (await this.run(
      'completeAndClaim',
      request.id,
      request.token,
      result,
      queue,
      workerId,
      limit,
      leaseMs,
      ...tokens,
    )) as Reply;
    if (reply[0] === 'error') throw this.failure(reply, { id: request.id, op: 'complete' });
    return { job: toJob(reply[1] as string[]), next: (reply[2] as string[][]).map(toClaimedJob) };
  }

  fail(request: LeaseRef & { error: JobError; retryDelayMs: number | null }): Promise<Job> {
    return this.runJob(
      'fail',
      { id: request.id, op: 'fail' },
      request.id,
      request.token,
      JSON.stringify(request.error),
      request.error.retryable ? 1 : 0,
      request.retryDelayMs ?? -1,
    );
  }

  release(request: LeaseRef): Promise<Job> {
    return this.runJob('release', { id: request.id, op: 'release' }, request.id, request.token);
  }

  // ---- operator actions -----------------------------------------------------------

  async cancel({ id, owner }: { id: string; owner?: string }): Promise<CancelResult> {
    const reply = (await this.run('cancel', id, owner ?? '')) as Reply;
    if (reply[0] === 'error') throw this.failure(reply, { id, op: 'cancel' });
    return { outcome: reply[0] as CancelResult['outcome'], job: toJob(reply[1] as string[]) };
  }

  retry({ id, owner }: { id: string; owner?: string }): Promise<Job> {
    return this.runJob('retry', { id, op: 'retry' }, id, owner ?? '');
  }

  confirm({ id, owner, grant }: { id: string; owner?: string; grant: number }): Promise<Job> {
    return this.runJob('confirm', { id, op: 'confirm' }, id, owner ?? '', grant);
  }

  // ---- background maintenance -----------------------------------------------------

  async promoteDue({ limit }: { limit: number }): Promise<Job[]> {
    return ((await this.run('promoteDue', limit)) as string[][]).map(toJob);
  }

  async reapExpired({ limit }: { limit: number }): Promise<Job[]> {
    return ((await this.run('reapExpired', limit)) as string[][]).map(toJob);
  }

  async purge({ completedBefore, failedBefore, limit }: PurgeRequest): Promise<number> {
    return Number(await this.run('purge', completedBefore, failedBefore, limit));
  }

  // ---- reads ----------------------------------------------------------------------

  async get(id: string, owner?: string): Promise<Job | null> {
    const flat = (await this.redis.call('HGETALL', this.keys.job(id))) as string[];
    if (flat.length === 0) return null;
    const job = toJob(flat);
    return owner !== undefined && job.owner !== owner ? null : job;
  }

  async list(filter: ListFilter): Promise<JobPage> {
    let cursor: number | null = null;
    if (filter.cursor) {
      cursor = Number(Buffer.from(filter.cursor, 'base64url').toString());
      if (!Number.isSafeInteger(cursor) || cursor <= 0)
        throw new JobgateError('JOBGATE_ERR_BAD_REQUEST', 'The cursor is not one this server issued');
    }
    const [items, next] = (await this.run('listJobs', JSON.stringify({ ...filter, cursor }))) as [
      string[][],
      string,
    ];
    return {
      items: items.map(toJob),
      nextCursor: next ? Buffer.from(String(next)).toString('base64url') : null,
    };
  }

  async counts(queue?: string): Promise<StatusCounts> {
    const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as StatusCounts;
    const queues = queue === undefined ? await this.queues() : [queue];
    const pipeline = this.redis.pipeline();
    for (const q of queues) for (const status of JOB_STATUSES) pipeline.zcard(this.keys.statusSet(q, status));
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([, n], i) => {
      counts[JOB_STATUSES[i % JOB_STATUSES.length]!] += Number(n ?? 0);
    });
    return counts;
  }

  async queues(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.queues)).sort();
  }

  async usage({ owner, resetOffsetMs }: { owner: string; resetOffsetMs: number }): Promise<DailyUsage> {
    const day = dayIndex(await this.now(), resetOffsetMs);
    const [jobs, iterations] = await this.redis.hmget(this.keys.usage(owner, day), 'jobs', 'iterations');
    return {
      day,
      jobsUsed: Number(jobs ?? 0),
      iterationsUsed: Number(iterations ?? 0),
      resetsAt: dayStart(day, resetOffsetMs) + DAY_MS,
    };
  }

  async position(id: string): Promise<number | null> {
    const position = Number(await this.run('position', id));
    return position < 0 ? null : position;
  }

  // ---- keys, rate limits, workers -------------------------------------------------

  async createKey(record: ApiKeyRecord): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.keys, record.prefix, JSON.stringify(record))
      .hset(this.keys.keyIds, record.id, record.prefix)
      .exec();
  }

  async findKey(prefix: string): Promise<ApiKeyRecord | null> {
    const json = await this.redis.hget(this.keys.keys, prefix);
    return json ? (JSON.parse(json) as ApiKeyRecord) : null;
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    const all = Object.values(await this.redis.hgetall(this.keys.keys)).map(
      (json) => JSON.parse(json) as ApiKeyRecord,
    );
    return all.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async revokeKey(id: string): Promise<boolean> {
    return Number(await this.run('revokeKey', id)) === 1;
  }

  async takeToken({ key, capacity, refillMs }: TokenRequest): Promise<TokenResult> {
    const [allowed, remaining, resetMs] = (await this.run('takeToken', key, capacity, refillMs)) as number[];
    return { allowed: allowed === 1, remaining: remaining ?? 0, resetMs: resetMs ?? 0 };
  }

  async registerWorker(record: Omit<WorkerRecord, 'lastSeenAt'>): Promise<WorkerRecord> {
    // state and running first: the touch script rewrites the first occurrence of each.
    const { state, running, ...rest } = record;
    const json = JSON.stringify({ state, running, ...rest });
    return JSON.parse(String(await this.run('workerRegistry', 'register', json))) as WorkerRecord;
  }

  async touchWorker({
    id,
    state,
    running,
  }: {
    id: string;
    state: WorkerState;
    running: number;
  }): Promise<WorkerRecord | null> {
    const json = await this.run('workerRegistry', 'touch', id, state, running);
    return json ? (JSON.parse(String(json)) as WorkerRecord) : null;
  }

  async removeWorker(id: string): Promise<boolean> {
    return Number(await this.run('workerRegistry', 'remove', id)) === 1;
  }

  async listWorkers({ forgetAfterMs }: { forgetAfterMs: number }): Promise<WorkerRecord[]> {
    const all = ((await this.run('workerRegistry', 'list', forgetAfterMs)) as string[]).map(
      (json) => JSON.parse(json) as WorkerRecord,
    );
    return all.sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
  }

  // ---- events across servers ------------------------------------------------------

  async publishEvent(event: StoreEvent): Promise<void> {
    await this.redis.publish(this.keys.events, JSON.stringify(event));
  }

  /** Every event published by any server on this store, this one included. */
  async subscribeEvents(listener: (event: StoreEvent) => void): Promise<() => Promise<void>> {
    if (!this.subscriber) {
      this.subscriber = this.redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
      this.subscriber.on('error', () => {});
      await this.subscriber.subscribe(this.keys.events);
    }
    const subscriber = this.subscriber;
    const onMessage = (_channel: string, message: string) => listener(JSON.parse(message) as StoreEvent);
    subscriber.on('message', onMessage);
    return async () => {
      subscriber.off('message', onMessage);
    };
  }

  // ---- housekeeping ---------------------------------------------------------------

  async ping(): Promise<number> {
    const start = performance.now();
    await this.redis.ping();
    return performance.now() - start;
  }

  async now(): Promise<number> {
    if (this.testClock) return this.testClock();
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = null;
    this.redis.disconnect();
  }
}

/** A just-admitted job: the request plus what the admit script decided (saves re-reading the hash). */
function admittedJob({ job }: AdmitRequest, payloadJson: string, decided: Record<string, string>): Job {
  return {
    id: job.id,
    queue: job.queue,
    type: job.type,
    status: decided.status as JobStatus,
    priority: job.priority,
    // Parsed back from what was stored, so the caller sees exactly what a read returns.
    payload: JSON.parse(payloadJson) as unknown,
    result: null,
    error: null,
    attempts: 0,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    progress: { percent: 0, stage: null, message: null },
    owner: job.owner,
    projectId: job.projectId,
    parentId: job.parentId,
    depth: Number(decided.depth),
    iterationAllowance: decided.allowance ? Number(decided.allowance) : null,
    createdAt: Number(decided.created_at),
    runAt: Number(decided.run_at),
    startedAt: null,
    finishedAt: null,
    workerId: null,
    leaseExpiresAt: null,
    cancelRequested: false,
  };
}
