/**
 * The Redis backend: every state change is one Lua script (src/store/redis/lua/, built
 * into one function library that is loaded with FUNCTION LOAD and called with FCALL),
 * so it is atomic across any number of servers. Time inside scripts is Redis' own
 * `TIME`, so leases are judged by one clock for all hosts. Keys are laid out by Redis
 * Cluster slot (see redis-keys.ts): a queue's keys share one hash tag, so every script
 * stays inside one slot and the store runs on a single Redis, on Redis Cluster and on
 * Valkey alike.
 *
 * Outages: the client does not queue commands while disconnected
 * (`enableOfflineQueue: false`), so a call fails at once with a connection error that
 * callers map to 503, and ioredis reconnects by itself in the background. A Redis that
 * keeps the socket open but stops answering (frozen, swapping, a long script) is bounded
 * too: a call waits at most `timeoutMs`, and after one timed out the calls fail at once
 * until Redis answers again (reply-deadline.ts). Unanswered calls are never sent again
 * after a reconnect (`autoResendUnfulfilledCommands: false`): their callers were already
 * told 503, and an admission sent twice could make two jobs.
 */
import { randomUUID } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { JobgateError } from '../../domain/errors.js';
import type { FairnessSettings } from '../../domain/fair-share.js';
import { fairnessDefault } from '../../domain/fair-share.js';
import type { ClaimedJob, Job, JobError, JobProgress } from '../../domain/job.js';
import { JOB_STATUSES, type JobStatus } from '../../domain/job-states.js';
import { DAY_MS, dayIndex, dayStart } from '../../domain/quota-calendar.js';
import type {
  AdmitRequest,
  AdmitResult,
  AdmitView,
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
  StoreCapabilities,
  StoreEvent,
  TokenRequest,
  TokenResult,
  WorkerRecord,
  WorkerState,
} from '../store.js';
import { admitThenClaim, claimAfterAdmission } from '../store.js';
import { isStoreOutage, type StoreFailureCode, storeFailure } from '../store-errors.js';
import { InFlight, TickBatch } from '../tick-batch.js';
import { RedisArtifactMeta } from './artifact-meta.js';
import { CLUSTER_SCHEME, parseClusterUrl } from './cluster-url.js';
import { functions, library, type ScriptName } from './generated/scripts.js';
import { RedisQueuePolicies } from './queue-policy-store.js';
import { RedisQueueRegistry } from './queue-registry.js';
import {
  bodyRest,
  completedJob,
  handedOffJob,
  packedCreatedAt,
  seqOf,
  toClaimedJob,
  toJob,
} from './redis-job.js';
import { jobIdFor, queueShard, type RedisKeys, redisKeys, shardOfJobId } from './redis-keys.js';
import { boundReplies } from './reply-deadline.js';
import { RedisSchedules } from './schedule-store.js';
import { RedisWebhookStore } from './webhook-store.js';

export interface RedisStoreOptions {
  /** `redis://host:port/db`, `rediss://…`, or `redis+cluster://host:port[,host:port…]`. */
  url: string;
  /** Key prefix; tests give each store its own. */
  prefix?: string;
  fairness?: FairnessSettings;
  /** Tests only: a fixed clock used instead of Redis' TIME, so times are exact. */
  clock?: () => number;
  /** Longest wait for one call's reply before it fails as unavailable (503); default 1,000 ms. */
  timeoutMs?: number;
}

/** A call's longest wait for Redis, as Sidekiq's redis-client (1 s): far above any normal reply, well inside a 2 s answer. */
export const storeTimeoutMsDefault = 1_000;

type Client = Redis | Cluster;
type Reply = unknown[];
type AdmitOutcome = AdmitResult | { kind: 'error'; error: Error };
type CompleteAndClaim = LeaseRef & { result: unknown; next: ClaimRequest; known?: Job };
interface HeldAdmit {
  requests: AdmitRequest[];
  resolve: (results: AdmitOutcome[]) => void;
}
interface HeldCompletion {
  request: CompleteAndClaim;
  resolve: (outcome: { job: Job; next: ClaimedJob[] }) => void;
  reject: (error: unknown) => void;
}

function failed(error: unknown): AdmitOutcome {
  return { kind: 'error', error: error instanceof Error ? error : new Error(String(error)) };
}

/** Admissions with equal terms may share a script call: one queue, one owner, the same limits and reset time. */
function admitTerms({ job, limits: l, calendar }: AdmitRequest): string {
  return `${job.queue}\n${job.owner}\n${l.priorityBoost}|${l.limitScope ?? 'queue'}|${l.maxConcurrentPerUser}|${l.maxConcurrentPerProject}|${l.dailyJobs}|${l.iterationDepth}|${calendar.resetOffsetMs}`;
}

const failureCodes: Record<string, StoreFailureCode> = {
  not_found: 'not_found',
  lease_lost: 'lease_lost',
  illegal: 'illegal',
  idempotency_conflict: 'idempotency_conflict',
  queue_full: 'queue_full',
  quota_exhausted: 'quota_exhausted',
};

/** Jobs per admission script on one Redis: a batch of 100 holds Redis for a few ms at most. */
const ADMIT_BATCH = 100;
/** Jobs per call when submits made in one tick are sent together (see admit): a few calls, so Redis and this process overlap. */
const HELD_BATCH = 16;
/**
 * A worker's completions go out one by one while fewer than this many are on the wire,
 * and in calls of up to HELD_COMPLETIONS beyond (see completeAndClaim). Two calls in
 * flight keep Redis busy while this process handles the other's reply; small calls keep
 * a worker of 10 slots from taking turns with Redis. Measured in docs/BENCHMARKS.md.
 */
const COMPLETIONS_AHEAD = 2;
const HELD_COMPLETIONS = 4;

/** The lowest Redis (or Valkey) major version: the scripts are a function library (Redis 7). */
const MIN_REDIS_MAJOR = 7;

export class RedisStore implements JobStore {
  readonly name = 'redis';
  readonly capabilities: StoreCapabilities;
  readonly redis: Client;
  private subscriber: Client | null = null;
  private readonly keys: RedisKeys;
  readonly schedules: RedisSchedules;
  readonly webhooks: RedisWebhookStore;
  readonly artifactMeta: RedisArtifactMeta;
  readonly queueRegistry: RedisQueueRegistry;
  readonly queuePolicies: RedisQueuePolicies;
  private readonly fairness: FairnessSettings;
  private readonly testClock: (() => number) | null;
  /**
   * Where tenant-scoped limits keep their counts, the scripts' third clock-argument part:
   * one base for every queue on a single Redis; '' on a cluster, where each script keeps
   * them in its own slot (limits then hold per slot: docs/SCALING.md).
   */
  private readonly tenantBase: string;
  /** Events waiting for this tick's PUBLISH (see publishEvent). */
  private outbox: { events: StoreEvent[]; sent: Promise<void> } | null = null;
  /** Queues this process registered in the global queue set (the registry only grows). */
  private readonly knownQueues = new Set<string>();
  /** The library load in progress, if any (see loadLibrary). */
  private loading: Promise<void> | null = null;
  /** Admission calls awaiting their reply, and the submits held meanwhile (see admit). */
  private readonly admitting = new InFlight();
  private readonly heldAdmits = new TickBatch<HeldAdmit>(
    HELD_BATCH,
    (held) => this.admitHeld(held),
    (entry) => entry.requests.length,
  );
  /** Complete-and-claim calls awaiting their reply, and the completions held meanwhile (see completeAndClaim). */
  private readonly completing = new InFlight();
  private readonly heldCompletions = new TickBatch<HeldCompletion>(HELD_COMPLETIONS, (held) =>
    this.completeHeld(held),
  );

  constructor(options: RedisStoreOptions) {
    const redisOptions: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
      autoResendUnfulfilledCommands: false,
      // No auto-pipelining: it halved worker throughput in `bench/redis.ts` (batched
      // complete-and-claims wait for each other); ioredis writes concurrent calls without
      // waiting for replies anyway (docs/BENCHMARKS.md).
      enableAutoPipelining: false,
      // Reconnect quickly and forever: the server must recover by itself when Redis returns.
      retryStrategy: (times) => Math.min(100 * times, 1_000),
    };
    const cluster = options.url.startsWith(CLUSTER_SCHEME) ? parseClusterUrl(options.url) : null;
    this.redis = cluster
      ? new Cluster(cluster.nodes, {
          redisOptions: { ...redisOptions, username: cluster.username, password: cluster.password },
          enableOfflineQueue: false,
          // ioredis' ready check is itself a command, which a client without an offline
          // queue refuses before it is ready; slots are loaded before 'ready' regardless.
          enableReadyCheck: false,
          lazyConnect: true,
          clusterRetryStrategy: (times) => Math.min(100 * times, 1_000),
        })
      : new Redis(options.url, redisOptions);
    // Errors surface on the calls that fail; an unhandled 'error' event would crash the process.
    this.redis.on('error', () => {});
    boundReplies(this.redis, options.timeoutMs ?? storeTimeoutMsDefault);
    this.keys = redisKeys(options.prefix);
    this.tenantBase = cluster ? '' : `${options.prefix ?? 'jg'}:{ten}`;
    this.capabilities = { sharedEvents: true, tenantScope: cluster ? 'slot' : 'global' };
    this.artifactMeta = new RedisArtifactMeta({
      redis: this.redis,
      keys: this.keys,
      run: (name, base, ...args) => this.run(name, base, ...args),
      queues: () => this.queues(),
    });
    this.fairness = options.fairness ?? fairnessDefault;
    this.testClock = options.clock ?? null;
    this.queuePolicies = new RedisQueuePolicies(this.redis, this.keys.settings);
    this.schedules = new RedisSchedules(this.redis, this.keys.settings, (name, base, ...args) =>
      this.run(name, base, ...args),
    );
    this.webhooks = new RedisWebhookStore(
      this.redis,
      this.keys,
      (name, base, ...args) => this.run(name, base, ...args),
      () => this.now(),
    );
    this.queueRegistry = new RedisQueueRegistry({
      redis: this.redis,
      run: (name, base, ...args) => this.run(name, base, ...args),
      globalBase: this.keys.global,
      queuesKey: this.keys.queues,
      queueBase: (queue) => this.keys.queueBase(queue),
      dropKnown: (queue) => this.knownQueues.delete(queue),
      jobsIn: async (queue) => Object.values(await this.counts(queue)).reduce((a, b) => a + b, 0),
    });
  }

  /** The scripts' first argument: the clock (Redis' own TIME, or the test clock), the aging turns, the tenant base. */
  private clockArg(): string {
    const clock = this.testClock ? `=${this.testClock()}` : '0';
    return `${clock};${this.fairness.agingTurns};${this.tenantBase}`;
  }

  /** Connects and checks the server version; call once before use. Fails if Redis does not answer. */
  async connect(): Promise<void> {
    await this.redis.connect();
    await this.prepare();
  }

  /**
   * Connects as soon as Redis answers, however long that takes: ioredis retries a failed
   * attempt by itself (retryStrategy: backoff up to 1 s). `onFailure` hears each failed
   * attempt's reason (ECONNREFUSED, WRONGPASS, …). Rejects only when `signal` aborts or
   * the server cannot be used at all (too old).
   */
  async connectWhenReachable(onFailure: (error: Error) => void, signal: AbortSignal): Promise<void> {
    this.redis.on('error', onFailure);
    try {
      // A failed first attempt's reason arrives as an 'error' event; ioredis then keeps trying.
      await this.redis.connect().catch(() => {});
      for (;;) {
        if (this.redis.status !== 'ready') await this.nextReady(signal);
        try {
          await this.prepare();
          return;
        } catch (error) {
          if (!isStoreOutage(error)) throw error;
          onFailure(error as Error);
        }
      }
    } finally {
      this.redis.off('error', onFailure);
    }
  }

  /** The client's next 'ready' (events.once would reject on the 'error' events of failed attempts). */
  private nextReady(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const aborted = () => {
        this.redis.off('ready', ready);
        reject(signal.reason);
      };
      const ready = () => {
        signal.removeEventListener('abort', aborted);
        resolve();
      };
      if (signal.aborted) return reject(signal.reason);
      this.redis.once('ready', ready);
      signal.addEventListener('abort', aborted, { once: true });
    });
  }

  /** Checks the server version and loads the function library. */
  private async prepare(): Promise<void> {
    const info = await this.redis.info('server');
    const version = /redis_version:(\d+)/.exec(info)?.[1];
    if (version !== undefined && Number(version) < MIN_REDIS_MAJOR) {
      this.redis.disconnect();
      throw new Error(
        `Jobgate needs Redis ${MIN_REDIS_MAJOR} or later (or Valkey); this server is ${version}`,
      );
    }
    await this.loadLibrary();
  }

  /** The server's `maxmemory-policy`: anything but noeviction can silently drop jobs. */
  async maxmemoryPolicy(): Promise<string | null> {
    const reply = (await this.redis.config('GET', 'maxmemory-policy')) as unknown as string[];
    return reply[1] ?? null;
  }

  /** A job id that routes to its queue's shard (see redis-keys.ts). */
  newJobId(queue: string): string {
    return jobIdFor(queue);
  }

  /**
   * Runs a script (a function of the library, see scripts/build-lua.mjs) in the slot named
   * by `base` (reserveAdmit, on one Redis only, takes two). A server that lost the library
   * (restarted without persistence, a new cluster node) gets it again, and the call is retried.
   */
  private run(
    name: ScriptName,
    base: string | [string, string],
    ...args: Array<string | number>
  ): Promise<unknown> {
    const keys = typeof base === 'string' ? [base] : base;
    const call = () => this.redis.fcall(functions[name], keys.length, ...keys, this.clockArg(), ...args);
    return call().catch(async (error: unknown) => {
      if (!(error instanceof Error && /function not found/i.test(error.message))) throw error;
      await this.loadLibrary();
      return call();
    });
  }

  /** Loads the function library on every node that runs calls (each master of a cluster); concurrent callers share one load. */
  private loadLibrary(): Promise<void> {
    this.loading ??= (async () => {
      const nodes = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
      await Promise.all(
        nodes.map((node) =>
          node.call('FUNCTION', 'LOAD', library).catch((error: unknown) => {
            // Loaded before, by this or another server of the same version.
            if (!(error instanceof Error && /already exists/i.test(error.message))) throw error;
          }),
        ),
      );
    })().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** The shard base of a job id; an id no Redis store issued cannot exist. */
  private jobBase(id: string, context: { op: string }): string {
    const shard = shardOfJobId(id);
    if (shard === null) throw storeFailure('not_found', { id, ...context });
    return this.keys.shard(shard);
  }

  /** Unwraps `{'ok', job}` / `{'error', code, detail}` replies of a by-id script. */
  private async runJob(
    name: ScriptName,
    context: { id: string; op: string },
    ...args: Array<string | number>
  ): Promise<Job> {
    const reply = (await this.run(name, this.jobBase(context.id, context), context.id, ...args)) as Reply;
    if (reply[0] === 'error') throw this.failure(reply, context);
    return toJob(reply[1] as string[]);
  }

  private failure(reply: Reply, context: { id?: string; op?: string; queue?: string }): Error {
    const code = String(reply[1]);
    const detail = String(reply[2] ?? '');
    if (code === 'parent_not_found')
      return storeFailure('parent_not_found', { id: detail, queue: context.queue });
    const mapped = failureCodes[code];
    if (!mapped) return new JobgateError('JOBGATE_ERR_INTERNAL', `Unknown store reply ${code}`);
    return storeFailure(mapped, { ...context, status: detail as JobStatus, queue: context.queue ?? detail });
  }

  /** Every queue ever used, for the services that sweep all shards. */
  private async registerQueue(queue: string): Promise<void> {
    if (this.knownQueues.has(queue)) return;
    await this.redis.sadd(this.keys.queues, queue);
    this.knownQueues.add(queue);
  }

  /** The registered queues (or just `only`) grouped by shard: one script call per shard visits them all. */
  private async shards(only?: string): Promise<Map<string, string[]>> {
    const byShard = new Map<string, string[]>();
    for (const queue of only === undefined ? await this.queues() : [only])
      addTo(byShard, this.keys.queueBase(queue), queue);
    return byShard;
  }

  // ---- admission ------------------------------------------------------------------

  /**
   * Admits now when no admission is on the wire (an idle system: the fastest answer).
   * Under load, the submits of one tick go out together at its end: a script call has a
   * fixed cost (its arguments, its setup, the counters it reads once), which concurrent
   * single submits would otherwise each pay. Each job is still admitted on its own,
   * atomically; only the call is shared. Measured in docs/BENCHMARKS.md.
   */
  admit(requests: AdmitRequest[]): Promise<AdmitOutcome[]> {
    if (this.admitting.count === 0 || this.redis instanceof Cluster)
      return this.admitting.track(this.admitCalls(requests, ADMIT_BATCH)).then(({ outcomes }) => outcomes);
    return new Promise((resolve) => this.heldAdmits.add({ requests, resolve }));
  }

  /**
   * As admit, with a claim for an idle worker: when the admission is one script call on
   * one Redis, the claim rides in it (the new jobs the worker can take are leased as they
   * are created and never enter the queued indexes); otherwise (admissions on the wire, a
   * cluster, several calls) the claim follows the admission's reply.
   */
  async admitAndClaim(
    requests: AdmitRequest[],
    claim: ClaimRequest,
  ): Promise<{ outcomes: AdmitOutcome[]; claimed: ClaimedJob[] }> {
    if (this.admitting.count === 0 || this.redis instanceof Cluster)
      return this.admitting.track(this.admitCalls(requests, ADMIT_BATCH, claim));
    return admitThenClaim(this, requests, claim);
  }

  private admitHeld(held: HeldAdmit[]): void {
    const requests = held.flatMap((entry) => entry.requests);
    void this.admitting
      .track(this.admitCalls(requests, HELD_BATCH))
      .then(({ outcomes }) => outcomes)
      .catch((error: unknown) => requests.map(() => failed(error)))
      .then((results) => {
        let at = 0;
        for (const entry of held) {
          entry.resolve(results.slice(at, at + entry.requests.length));
          at += entry.requests.length;
        }
      });
  }

  /** `claim`: an idle worker's, made in the admission's call when it is one call on one Redis, else after it. */
  private async admitCalls(
    requests: AdmitRequest[],
    batchSize: number,
    claim?: ClaimRequest,
  ): Promise<{ outcomes: AdmitOutcome[]; claimed: ClaimedJob[] }> {
    const results: AdmitOutcome[] = new Array(requests.length);
    // Request indexes per script call: on one Redis one call per (queue, owner, terms), at
    // most batchSize jobs (few calls, short ones); on a cluster each job takes its own steps.
    const calls: number[][] = [];
    const open = new Map<string, number[]>();
    requests.forEach((request, index) => {
      const { job } = request;
      if (shardOfJobId(job.id) !== queueShard(job.queue)) {
        const message = `Job id ${job.id} does not route to queue ${job.queue}: ids come from store.newJobId`;
        results[index] = { kind: 'error', error: new JobgateError('JOBGATE_ERR_INTERNAL', message) };
        return;
      }
      const key = admitTerms(request);
      let batch = open.get(key);
      if (this.redis instanceof Cluster || !batch || batch.length >= batchSize) {
        batch = [];
        calls.push(batch);
        open.set(key, batch);
      }
      batch.push(index);
    });
    const oneCall = !(this.redis instanceof Cluster) && calls.length === 1;
    const joint = claim && oneCall && requests[calls[0]![0]!]!.job.queue === claim.queue ? claim : undefined;
    let claimed: ClaimedJob[] = [];
    // Concurrent: ioredis writes every call without waiting for the replies.
    await Promise.all(
      calls.map(async (indexes) => {
        const items = indexes.map((index) => requests[index]!);
        const replies = await (this.redis instanceof Cluster
          ? this.admitAcrossSlots(items[0]!).then((one) => [one])
          : this.admitInOneScript(items, joint).then((done) => {
              claimed = done.claimed;
              return done.outcomes;
            })
        ).catch((error: unknown) => items.map(() => failed(error)));
        indexes.forEach((index, k) => {
          results[index] = replies[k]!;
        });
      }),
    );
    if (claim && !joint) claimed = await claimAfterAdmission(this, claim);
    return { outcomes: results, claimed };
  }

  /** The tenant half of an admission: what reserveQuota (lua/includes/admission.lua) needs. */
  private reserveArgs({ job, limits, calendar, idempotency }: AdmitRequest) {
    return {
      jobId: job.id,
      queue: job.queue,
      runAt: job.runAt,
      delayMs: job.delayMs,
      dailyJobs: limits.dailyJobs,
      iteration: job.parentId !== null ? 1 : 0,
      calendar,
      idempotency,
    };
  }

  /**
   * On one Redis a script may reach both slots: jobs of one queue and owner, both halves,
   * one atomic call. With `claim`, an idle worker's slots are filled in the same call (see
   * admitAndClaim).
   */
  private async admitInOneScript(
    requests: AdmitRequest[],
    claim?: ClaimRequest,
  ): Promise<{ outcomes: AdmitOutcome[]; claimed: ClaimedJob[] }> {
    const { job, limits, calendar } = requests[0]!;
    const tokens = claim ? Array.from({ length: claim.limit }, () => randomUUID()) : [];
    const payloads = requests.map((request) => JSON.stringify(request.job.payload ?? null));
    const opt = (value: string | number | null | undefined) =>
      value === null || value === undefined ? '' : value;
    // What the batch shares, flat, in reserve_admit.lua's order.
    const shared = [
      job.queue,
      job.owner,
      limits.priorityBoost,
      // A tenant-scoped tier marks its user limit "t:" (reserve_admit.lua).
      `${limits.limitScope === 'tenant' ? 't:' : ''}${opt(limits.maxConcurrentPerUser)}`,
      opt(limits.maxConcurrentPerProject),
      opt(limits.dailyJobs),
      opt(limits.iterationDepth),
      calendar.resetOffsetMs,
      claim ? claim.workerId : '',
      tokens.length,
      claim ? claim.leaseMs : 0,
      ...tokens,
    ];
    // Flat arguments, 8 per job, in reserve_admit.lua's order.
    const args = requests.flatMap(({ job: j, idempotency: idem, calendar: c }, k) => [
      j.id,
      j.priority,
      opt(j.projectId),
      bodyRest(j),
      payloads[k]!,
      c.jitterMs,
      requests[k]!.view ? 1 : 0,
      seldomArgs(j, idem),
    ]);
    const [, reply] = await Promise.all([
      this.registerQueue(job.queue),
      this.run(
        'reserveAdmit',
        [this.keys.queueBase(job.queue), this.keys.tenant(job.owner)],
        ...shared,
        ...args,
      ),
    ]);
    const [flat, leftover] = (claim ? reply : [reply, []]) as [unknown[], string[][]];
    const replies = admitReplies(flat, requests);
    const outcomes = replies.map((one, k) => this.admitted(requests[k]!, payloads[k]!, one));
    if (!claim) return { outcomes, claimed: [] };
    // The jobs leased as they were admitted come first (in order), then the claim's for
    // the slots left over, which used the tokens after theirs.
    const claimed: ClaimedJob[] = [];
    replies.forEach((one, k) => {
      const token = one[0] === 'created' ? (one[2] as Decided)[6] : undefined;
      const outcome = outcomes[k]!;
      if (token && outcome.kind === 'created') claimed.push(handedOffJob(outcome.job, claim, token));
    });
    const handed = claimed.length;
    for (const [i, flat] of leftover.entries()) claimed.push(toClaimedJob(flat, claim, tokens[handed + i]!));
    return { outcomes, claimed };
  }

  /**
   * On a cluster an admission spans two slots: the owner's (quota, idempotency: they span
   * queues) and the queue's. reserve.lua charges the owner first, admit.lua then files
   * the job, and unreserve.lua refunds the charge when the queue refuses. A crash between
   * the two steps can over-count the owner's usage by one unanswered submit; it never
   * loses an answered job, and an idempotent retry reuses the first charge and job id.
   */
  private async admitAcrossSlots(request: AdmitRequest): Promise<AdmitOutcome> {
    const { job, limits, idempotency } = request;
    const tenant = this.keys.tenant(job.owner);
    const reserve = this.reserveArgs(request);
    const { payload, ...rest } = job;
    const payloadJson = JSON.stringify(payload ?? null);
    const view = request.view === true;
    const [, reserved] = await Promise.all([
      this.registerQueue(job.queue),
      this.run('reserve', tenant, JSON.stringify({ ...reserve, view })) as Promise<Reply>,
    ]);
    if (reserved[0] === 'error')
      return { kind: 'error', error: this.failure(reserved, { queue: job.queue }) };
    const seen = reserved[0] === 'seen';
    const [id, runAt, deferred, day, usage] = seen ? reserved.slice(1) : [job.id, ...reserved.slice(1)];
    const body = JSON.stringify({
      job: { ...rest, id, bodyRest: bodyRest(job), payloadJson },
      limits,
      runAt,
      deferred,
      view,
    });
    const reply = (await this.run('admit', this.keys.queueBase(job.queue), body)) as Reply;
    if (reply[0] === 'error' && !seen) {
      await this.run('unreserve', tenant, String(id), Number(day), reserve.iteration, idempotency?.key ?? '');
    }
    if (reply[0] === 'created') reply[1] = deferred;
    // The view's two halves, each read in its own slot's step: {position, running} + {today, jobs, iterations}.
    if (reply[3] && usage) reply[3] = [...(reply[3] as number[]), ...(usage as number[])];
    return this.admitted(request, payloadJson, reply);
  }

  /** An admit script's reply as the store contract's result. */
  private admitted(request: AdmitRequest, payloadJson: string, reply: Reply): AdmitOutcome {
    if (reply[0] === 'error')
      return { kind: 'error', error: this.failure(reply, { queue: request.job.queue }) };
    const view = reply[3] ? admitView(reply[3] as number[], request.calendar.resetOffsetMs) : undefined;
    if (reply[0] === 'duplicate') return { kind: 'duplicate', job: toJob(reply[2] as string[]), view };
    return {
      kind: 'created',
      job: admittedJob(request, payloadJson, reply[2] as Decided),
      deferredByQuota: Number(reply[1]) === 1,
      view,
    };
  }

  async configureQueue(settings: QueueSettings): Promise<void> {
    await this.registerQueue(settings.queue);
    await this.run(
      'configureQueue',
      this.keys.queueBase(settings.queue),
      settings.queue,
      settings.maxWorkers ?? '',
      settings.maxQueued ?? '',
      '',
    );
  }

  async setPaused({ queue, paused }: { queue: string; paused: boolean }): Promise<void> {
    await this.registerQueue(queue);
    await this.run('configureQueue', this.keys.queueBase(queue), queue, '', '', paused ? 1 : 0);
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
    return ((await this.run('clearQueue', this.keys.queueBase(queue), queue, limit)) as string[][]).map(
      toJob,
    );
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
    const rows = await Promise.all(
      ids.map((id) => this.redis.hmget(this.keys.job(id)!, 'status', 'body', 'started_at', 'finished_at')),
    );
    return rows.flatMap(([status, body, startedAt, finishedAt]) => {
      if (!status || !body || !finishedAt) return [];
      return [
        {
          status: status as FinishedSample['status'],
          createdAt: packedCreatedAt(body),
          startedAt: startedAt === null || startedAt === undefined ? null : Number(startedAt),
          finishedAt: Number(finishedAt),
        },
      ];
    });
  }

  // ---- leasing --------------------------------------------------------------------

  async claim(request: ClaimRequest): Promise<ClaimedJob[]> {
    const { queue, workerId, limit, leaseMs } = request;
    const tokens = Array.from({ length: limit }, () => randomUUID());
    const base = this.keys.queueBase(queue);
    const jobs = (await this.run('claim', base, queue, workerId, limit, leaseMs, ...tokens)) as string[][];
    return jobs.map((flat, i) => toClaimedJob(flat, request, tokens[i]!));
  }

  async heartbeat({ leases, leaseMs }: { leases: LeaseRef[]; leaseMs: number }): Promise<HeartbeatResult> {
    const result: HeartbeatResult = { extended: [], lost: [], cancel: [] };
    const byShard = new Map<string, LeaseRef[]>();
    for (const lease of leases) {
      const shard = shardOfJobId(lease.id);
      if (shard === null) result.lost.push(lease.id);
      else addTo(byShard, shard, lease);
    }
    const replies = await Promise.all(
      [...byShard].map(
        ([shard, refs]) =>
          this.run(
            'heartbeat',
            this.keys.shard(shard),
            leaseMs,
            ...refs.flatMap((l) => [l.id, l.token]),
          ) as Promise<string[][]>,
      ),
    );
    for (const [extended, lost, cancel] of replies) {
      result.extended.push(...(extended ?? []));
      result.lost.push(...(lost ?? []));
      result.cancel.push(...(cancel ?? []));
    }
    return result;
  }

  progress(request: LeaseRef & { progress: JobProgress }): Promise<Job> {
    return this.runJob(
      'progress',
      { id: request.id, op: 'progress' },
      request.token,
      JSON.stringify(request.progress),
      request.workerId ?? '',
    );
  }

  complete(request: LeaseRef & { result: unknown }): Promise<Job> {
    const result = JSON.stringify(request.result === undefined ? null : request.result);
    return this.runJob(
      'complete',
      { id: request.id, op: 'complete' },
      request.token,
      result,
      request.workerId ?? '',
    );
  }

  /**
   * A worker's completions made in one tick while earlier ones are on the wire go out
   * together (complete_many_and_claim.lua): each is checked and answered on its own, and
   * the jobs claimed for the freed slots are handed out in order. The indexes the
   * finished jobs leave and enter are written once per call, which is most of what a
   * busy worker's completions cost Redis. Like admissions (see admit), a completion with
   * little on the wire goes at once.
   */
  completeAndClaim(request: CompleteAndClaim): Promise<{ job: Job; next: ClaimedJob[] }> {
    const { queue } = request.next;
    const base = this.jobBase(request.id, { op: 'complete' });
    if (base !== this.keys.queueBase(queue) || !request.known || request.known.queue !== queue) {
      return this.completeOneAndClaim(request, base);
    }
    if (this.completing.count < COMPLETIONS_AHEAD)
      return this.completing.track(this.completeOneAndClaim(request, base));
    return new Promise((resolve, reject) => this.heldCompletions.add({ request, resolve, reject }));
  }

  private completeHeld(held: HeldCompletion[]): void {
    // One call per worker (queue, worker id and lease length: what its claim asks for).
    const byWorker = new Map<string, HeldCompletion[]>();
    for (const entry of held) {
      const { queue, workerId, leaseMs } = entry.request.next;
      addTo(byWorker, `${queue}\n${workerId}\n${leaseMs}`, entry);
    }
    for (const entries of byWorker.values()) {
      void this.completing.track(this.completeManyAndClaim(entries)).catch((error: unknown) => {
        for (const entry of entries) entry.reject(error);
      });
    }
  }

  private async completeManyAndClaim(entries: HeldCompletion[]): Promise<void> {
    const first = entries[0]!.request.next;
    const limit = entries.reduce((sum, entry) => sum + entry.request.next.limit, 0);
    const results = entries.map((entry) => JSON.stringify(entry.request.result ?? null));
    const tokens = Array.from({ length: limit }, () => randomUUID());
    const [replies, claimed] = (await this.run(
      'completeManyAndClaim',
      this.keys.queueBase(first.queue),
      first.queue,
      first.workerId,
      first.leaseMs,
      entries.length,
      ...entries.flatMap((entry, k) => [
        entry.request.id,
        entry.request.token,
        results[k]!,
        entry.request.next.limit,
        ...asClaimedArgs(entry.request.known!),
      ]),
      ...tokens,
    )) as [Reply[], string[][]];
    const next = claimed.map((flat, i) => toClaimedJob(flat, first, tokens[i]!));
    let at = 0;
    entries.forEach((entry, k) => {
      const reply = replies[k]!;
      if (reply[0] === 'error') {
        entry.reject(this.failure(reply, { id: entry.request.id, op: 'complete' }));
        return;
      }
      const job = completedJob(entry.request.known!, reply[1] as string[], results[k]!);
      const mine = next.slice(at, at + entry.request.next.limit);
      at += mine.length;
      entry.resolve({ job, next: mine });
    });
  }

  private async completeOneAndClaim(
    request: CompleteAndClaim,
    base: string,
  ): Promise<{ job: Job; next: ClaimedJob[] }> {
    const { queue, workerId, limit, leaseMs } = request.next;
    if (base !== this.keys.queueBase(queue)) {
      // The next jobs live in another shard: two steps, each atomic in its own slot.
      const job = await this.complete(request);
      return { job, next: await this.claim(request.next) };
    }
    const result = JSON.stringify(request.result === undefined ? null : request.result);
    const tokens = Array.from({ length: limit }, () => randomUUID());
    const reply = (await this.run(
      'completeAndClaim',
      base,
      request.id,
      request.token,
      result,
      queue,
      workerId,
      limit,
      leaseMs,
      // Brief: the job as the worker claimed it, so the script reads none of it again.
      ...(request.known ? [1, ...asClaimedArgs(request.known)] : [0, '', '', '']),
      ...tokens,
    )) as Reply;
    if (reply[0] === 'error') throw this.failure(reply, { id: request.id, op: 'complete' });
    const job = request.known
      ? completedJob(request.known, reply[1] as string[], result)
      : toJob(reply[1] as string[]);
    const next = (reply[2] as string[][]).map((flat, i) => toClaimedJob(flat, request.next, tokens[i]!));
    return { job, next };
  }

  fail(request: LeaseRef & { error: JobError; retryDelayMs: number | null }): Promise<Job> {
    return this.runJob(
      'fail',
      { id: request.id, op: 'fail' },
      request.token,
      JSON.stringify(request.error),
      request.error.retryable ? 1 : 0,
      request.retryDelayMs ?? -1,
      request.workerId ?? '',
    );
  }

  release(request: LeaseRef): Promise<Job> {
    return this.runJob('release', { id: request.id, op: 'release' }, request.token, request.workerId ?? '');
  }

  // ---- operator actions -----------------------------------------------------------

  async cancel({ id, owner }: { id: string; owner?: string }): Promise<CancelResult> {
    const reply = (await this.run('cancel', this.jobBase(id, { op: 'cancel' }), id, owner ?? '')) as Reply;
    if (reply[0] === 'error') throw this.failure(reply, { id, op: 'cancel' });
    return { outcome: reply[0] as CancelResult['outcome'], job: toJob(reply[1] as string[]) };
  }

  retry({ id, owner }: { id: string; owner?: string }): Promise<Job> {
    return this.runJob('retry', { id, op: 'retry' }, owner ?? '');
  }

  promote({ id, owner }: { id: string; owner?: string }): Promise<Job> {
    return this.runJob('promote', { id, op: 'promote' }, owner ?? '');
  }

  deleteJob({ id, owner }: { id: string; owner?: string }): Promise<Job> {
    return this.runJob('deleteJob', { id, op: 'delete' }, owner ?? '');
  }

  confirm({ id, owner, grant }: { id: string; owner?: string; grant: number }): Promise<Job> {
    return this.runJob('confirm', { id, op: 'confirm' }, owner ?? '', grant);
  }

  // ---- background maintenance -----------------------------------------------------

  /** Runs a per-shard sweep over every shard until `limit` jobs are handled. */
  private async sweep(
    limit: number,
    step: (base: string, queues: string[], left: number) => Promise<number>,
  ): Promise<void> {
    // Re-assert this process's queues first: a Redis that restarted without persistence
    // lost the registry, and the sweeps must still find jobs admitted since. (Reads that
    // list or count across queues need not: they see what the sweeps restore.)
    if (this.knownQueues.size > 0) await this.redis.sadd(this.keys.queues, ...this.knownQueues);
    let left = limit;
    for (const [base, queues] of await this.shards()) {
      if (left <= 0) break;
      left -= await step(base, queues, left);
    }
  }

  promoteDue({ limit }: { limit: number }): Promise<Job[]> {
    return this.sweepJobs('promoteDue', limit);
  }

  reapExpired({ limit }: { limit: number }): Promise<Job[]> {
    return this.sweepJobs('reapExpired', limit);
  }

  /** A per-shard script that moves up to `left` jobs and returns them, over every shard. */
  private async sweepJobs(name: 'promoteDue' | 'reapExpired', limit: number): Promise<Job[]> {
    const out: Job[] = [];
    await this.sweep(limit, async (base, queues, left) => {
      // Leases are kept per queue (the queue's running set); scheduled jobs per shard.
      const args = name === 'reapExpired' ? [left, ...queues] : [left];
      const jobs = ((await this.run(name, base, ...args)) as string[][]).map(toJob);
      out.push(...jobs);
      return jobs.length;
    });
    return out;
  }

  async purge({ completedBefore, failedBefore, limit }: PurgeRequest): Promise<number> {
    let removed = 0;
    await this.sweep(limit, async (base, queues, left) => {
      let here = 0;
      for (const queue of queues) {
        if (here >= left) break;
        here += Number(await this.run('purge', base, queue, completedBefore, failedBefore, left - here));
      }
      removed += here;
      return here;
    });
    return removed;
  }

  // ---- reads ----------------------------------------------------------------------

  async get(id: string, owner?: string): Promise<Job | null> {
    const key = this.keys.job(id);
    if (key === null) return null;
    const flat = (await this.redis.call('HGETALL', key)) as string[];
    if (flat.length === 0) return null;
    // The hash does not repeat its own id (see redis-job.ts).
    flat.push('id', id);
    const job = toJob(flat);
    return owner !== undefined && job.owner !== owner ? null : job;
  }

  /**
   * Newest first across shards: each shard lists its best limit + 1, merged by (ord, id).
   * The cursor also carries, per shard that served a job so far, the seq of the last one
   * it served: a shard's queued jobs are read by seq (see scanQueued in list_jobs.lua).
   */
  async list(filter: ListFilter): Promise<JobPage> {
    const cursor = filter.cursor ? decodeCursor(filter.cursor) : null;
    const byShard = await this.shards(filter.queue || undefined);
    // An id's first four hex digits name its shard: a prefix that long is read on that shard only.
    const wanted = /^[0-9a-f]{4}/.test(filter.idPrefix ?? '') ? filter.idPrefix!.slice(0, 4) : null;
    if (wanted !== null)
      for (const base of [...byShard.keys()]) if (shardOfBase(base) !== wanted) byShard.delete(base);
    const { cursor: _raw, queue: _queue, ...rest } = filter;
    const replies = await Promise.all(
      [...byShard].map(([base, queues]) => {
        const seq = cursor?.seqs.get(shardOfBase(base));
        return this.run(
          'listJobs',
          base,
          JSON.stringify({
            ...rest,
            queues,
            cursor: cursor && { ord: String(cursor.ord), id: cursor.id, seq },
          }),
        ) as Promise<Array<[string, string[]]>>;
      }),
    );
    const entries = replies
      .flat()
      .map(([ord, flat]) => ({ ord: Number(ord), seq: seqOf(flat), job: toJob(flat) }))
      .sort((a, b) => b.ord - a.ord || (a.job.id < b.job.id ? 1 : a.job.id > b.job.id ? -1 : 0));
    const page = entries.slice(0, filter.limit);
    const last = page.at(-1);
    if (entries.length <= filter.limit || !last) return { items: page.map((e) => e.job), nextCursor: null };
    // The page is newest first: a shard's last entry in it is its oldest served.
    const seqs = new Map(cursor?.seqs);
    for (const entry of page) {
      const shard = shardOfJobId(entry.job.id);
      if (shard !== null && entry.seq !== undefined) seqs.set(shard, entry.seq);
    }
    return { items: page.map((e) => e.job), nextCursor: encodeCursor(last.ord, last.job.id, seqs) };
  }

  /** One script call per shard: a submit's place in line reads its queue's counts in one command. */
  async oldestQueuedAt(queue: string): Promise<number | null> {
    // Queued jobs sit in the queue's fair-queue groups (see common.lua): each group's head
    // is its next job, and the earliest-due head answers (with one priority per group, the
    // oldest queued job). Read-only and bounded: a metric, not a state change.
    const base = this.keys.queueBase(queue);
    const groups = (await this.redis.smembers(`${base}:qg:${queue}`)).slice(0, 1_000);
    const heads = await Promise.all(
      groups.map(async (name) => (await this.redis.zrange(`${base}:g:${queue}|${name}`, 0, 0))[0]),
    );
    let oldest: number | null = null;
    for (const id of heads) {
      const job = id === undefined ? null : await this.get(id);
      if (job?.status === 'queued' && (oldest === null || job.runAt < oldest)) oldest = job.runAt;
    }
    return oldest;
  }

  async counts(queue?: string): Promise<StatusCounts> {
    const counts = Object.fromEntries(JOB_STATUSES.map((status) => [status, 0])) as StatusCounts;
    const byShard = await this.shards(queue);
    const replies = await Promise.all(
      [...byShard].map(
        ([base, queues]) =>
          this.run('queueCounts', base, JOB_STATUSES.join(','), ...queues) as Promise<number[]>,
      ),
    );
    for (const sizes of replies) {
      sizes.forEach((n, i) => {
        counts[JOB_STATUSES[i % JOB_STATUSES.length]!] += n;
      });
    }
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
    if (shardOfJobId(id) === null) return null;
    const position = Number(await this.run('position', this.jobBase(id, { op: 'position' }), id));
    return position < 0 ? null : position;
  }

  // ---- keys, rate limits, workers -------------------------------------------------

  async createKey(record: ApiKeyRecord): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.apiKeys, record.prefix, JSON.stringify(record))
      .hset(this.keys.apiKeyIds, record.id, record.prefix)
      .exec();
  }

  async findKey(prefix: string): Promise<ApiKeyRecord | null> {
    const json = await this.redis.hget(this.keys.apiKeys, prefix);
    return json ? (JSON.parse(json) as ApiKeyRecord) : null;
  }

  async listKeys(): Promise<ApiKeyRecord[]> {
    const all = Object.values(await this.redis.hgetall(this.keys.apiKeys)).map(
      (json) => JSON.parse(json) as ApiKeyRecord,
    );
    return all.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async revokeKey(id: string): Promise<boolean> {
    return Number(await this.run('revokeKey', this.keys.global, id)) === 1;
  }

  async takeToken({ key, capacity, refillMs }: TokenRequest): Promise<TokenResult> {
    const [allowed, remaining, resetMs] = (await this.run(
      'takeToken',
      this.keys.bucket(key),
      key,
      capacity,
      refillMs,
    )) as number[];
    return { allowed: allowed === 1, remaining: remaining ?? 0, resetMs: resetMs ?? 0 };
  }

  async registerWorker(record: Omit<WorkerRecord, 'lastSeenAt'>): Promise<WorkerRecord> {
    // state and running first: the touch script rewrites the first occurrence of each.
    const { state, running, ...rest } = record;
    const json = JSON.stringify({ state, running, ...rest });
    return JSON.parse(
      String(await this.run('workerRegistry', this.keys.global, 'register', json)),
    ) as WorkerRecord;
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
    const json = await this.run('workerRegistry', this.keys.global, 'touch', id, state, running);
    return json ? (JSON.parse(String(json)) as WorkerRecord) : null;
  }

  async removeWorker(id: string): Promise<boolean> {
    return Number(await this.run('workerRegistry', this.keys.global, 'remove', id)) === 1;
  }

  async listWorkers({ forgetAfterMs }: { forgetAfterMs: number }): Promise<WorkerRecord[]> {
    const all = ((await this.run('workerRegistry', this.keys.global, 'list', forgetAfterMs)) as string[]).map(
      (json) => JSON.parse(json) as WorkerRecord,
    );
    return all.sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id));
  }

  // ---- events across servers ------------------------------------------------------

  /**
   * Events of one tick go out as one message (a JSON array): a submit makes two events
   * and a busy server many, and each PUBLISH is a socket write here and a message to
   * parse on every subscribed server.
   */
  publishEvent(event: StoreEvent): Promise<void> {
    if (!this.outbox) {
      const outbox: { events: StoreEvent[]; sent: Promise<void> } = { events: [], sent: Promise.resolve() };
      outbox.sent = new Promise<void>((resolve, reject) => {
        process.nextTick(() => {
          this.outbox = null;
          this.redis.publish(this.keys.events, JSON.stringify(outbox.events)).then(() => resolve(), reject);
        });
      });
      this.outbox = outbox;
    }
    this.outbox.events.push(event);
    return this.outbox.sent;
  }

  /** Every event published by any server on this store, this one included. */
  async subscribeEvents(listener: (event: StoreEvent) => void): Promise<() => Promise<void>> {
    if (!this.subscriber) {
      // A subscription waits for messages, not replies: a fresh client, without reply deadlines.
      const subscriber =
        this.redis instanceof Cluster
          ? this.redis.duplicate(undefined, { enableOfflineQueue: true, lazyConnect: false })
          : this.redis.duplicate({ enableOfflineQueue: true, lazyConnect: false });
      this.subscriber = subscriber;
      subscriber.on('error', () => {});
      await subscriber.subscribe(this.keys.events);
    }
    const subscriber = this.subscriber;
    const onMessage = (_channel: string, message: string) => {
      for (const event of JSON.parse(message) as StoreEvent[]) listener(event);
    };
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

/** Appends `value` to the list under `key`. */
function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** reserve_admit.lua's view: {position or -1, running, today, jobs used, iterations used}. */
function admitView([position, running, day, jobs, iterations]: number[], resetOffsetMs: number): AdmitView {
  return {
    position: Number(position) < 0 ? null : Number(position),
    running: Number(running),
    usage: {
      day: Number(day),
      jobsUsed: Number(jobs),
      iterationsUsed: Number(iterations),
      resetsAt: dayStart(Number(day), resetOffsetMs) + DAY_MS,
    },
  };
}

/**
 * A list cursor: the (ord, id) of the last job served and, per shard that served jobs,
 * the seq of the last one (see list), as "<ord>.<id>~<shard>:<seq>,…" in base64url.
 */
function encodeCursor(ord: number, id: string, seqs: Map<string, number>): string {
  const bounds = [...seqs].map(([shard, seq]) => `${shard}:${seq}`).join(',');
  return Buffer.from(`${ord}.${id}~${bounds}`).toString('base64url');
}

function decodeCursor(raw: string): { ord: number; id: string; seqs: Map<string, number> } {
  const bad = () => new JobgateError('JOBGATE_ERR_BAD_REQUEST', 'The cursor is not one this server issued');
  const text = Buffer.from(raw, 'base64url').toString();
  const [head = '', bounds = ''] = text.split('~', 2);
  const dot = head.indexOf('.');
  const ord = Number(head.slice(0, dot));
  if (dot <= 0 || !Number.isSafeInteger(ord) || ord <= 0) throw bad();
  const seqs = new Map<string, number>();
  for (const bound of bounds ? bounds.split(',') : []) {
    const match = /^([0-9a-f]{4}):(\d{1,15})$/.exec(bound);
    if (!match) throw bad();
    seqs.set(match[1]!, Number(match[2]));
  }
  return { ord, id: head.slice(dot + 1), seqs };
}

/**
 * A job as its worker claimed it, for a brief completion (holdsLeaseBrief in common.lua):
 * its queue, owner and project, which the script then does not read again.
 */
function asClaimedArgs(job: Job): [string, string, string] {
  return [job.queue, job.owner, job.projectId ?? ''];
}

/** The shard of a queue-shard base key (see redisKeys().shard). */
function shardOfBase(base: string): string {
  return base.slice(-5, -1);
}

/**
 * What an admit script decided for a created job, by place (see admitJob in
 * admission.lua): id, status, created_at, run_at, depth, allowance ('' = none), and the
 * lease token of a job leased as it was admitted ('' or absent = none: reserve_admit.lua
 * always sends it, admit.lua on a cluster never hands off).
 */
type Decided = [string, string, number, number, number, number | '', string?];

/**
 * What few submits carry, as one reserve_admit.lua argument: '' without any, else JSON
 * {r: runAt, d: delayMs, p: parentId, k/f/t: idempotency key, fingerprint, ttl ms}. Every
 * argument costs both sides per job (encoding here; in Redis a string object, then a Lua
 * string), and most jobs have none of these.
 */
function seldomArgs(job: AdmitRequest['job'], idem: AdmitRequest['idempotency']): string {
  if (job.runAt === null && job.delayMs === null && job.parentId === null && !idem) return '';
  return JSON.stringify({
    r: job.runAt,
    d: job.delayMs,
    p: job.parentId,
    k: idem?.key ?? null,
    f: idem?.fingerprint ?? null,
    t: idem?.ttlMs ?? null,
  });
}

/**
 * reserve_admit.lua's flat reply as one admit reply per request: a created job comes as
 * 9 values in a row ('c', deferred, the decided values, the lease token or ''), then its
 * view's 5 when the request asked for one; any other outcome is one nested reply.
 */
function admitReplies(flat: unknown[], requests: AdmitRequest[]): Reply[] {
  const replies: Reply[] = [];
  let at = 0;
  for (const request of requests) {
    if (flat[at] !== 'c') {
      replies.push(flat[at++] as Reply);
      continue;
    }
    const decided = flat.slice(at + 2, at + 9);
    const view = request.view ? flat.slice(at + 9, at + 14) : undefined;
    replies.push(['created', flat[at + 1], decided, view]);
    at += view ? 14 : 9;
  }
  return replies;
}

/** A just-admitted job: the request plus what the admit script decided (saves re-reading the hash). */
function admittedJob(
  { job }: AdmitRequest,
  payloadJson: string,
  [id, status, createdAt, runAt, depth, allowance]: Decided,
): Job {
  return {
    id,
    queue: job.queue,
    type: job.type,
    status: status as JobStatus,
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
    depth: Number(depth),
    iterationAllowance: allowance === '' ? null : Number(allowance),
    createdAt: Number(createdAt),
    runAt: Number(runAt),
    startedAt: null,
    finishedAt: null,
    workerId: null,
    leaseExpiresAt: null,
    cancelRequested: false,
  };
}
