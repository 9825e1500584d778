/**
 * Model-based tests of the store contract: fast-check draws sequences of store calls
 * (admit, claim, heartbeat, progress, complete, fail, release, cancel, retry, reap,
 * promote, purge, clear, pause, clock moves) and runs each against a real backend and a
 * small in-memory model on the same fake clock. The model does not predict fair order;
 * it predicts what must hold whatever the order:
 * - every observed change of a job is an edge of domain/job-states.ts;
 * - a finished job changes only through `retry` (failed/cancelled → queued), a
 *   completed one never;
 * - attempts ≤ maxAttempts;
 * - at most one live lease per job: only the latest token may write (a stale one is
 *   refused, atomically), and a claim hands out only queued jobs;
 * - the owner's and the queue's running limits are never exceeded, and a claim that
 *   finds nothing had nothing it could take;
 * - counts equal the model's and the listing's (paged) for every state.
 */
import fc from 'fast-check';
import type { Job } from '../../src/domain/job.js';
import { canTransition, isTerminal, JOB_STATUSES, type JobStatus } from '../../src/domain/job-states.js';
import type { JobStore, OwnerLimits } from '../../src/store/store.js';
import { newJob, pageAll } from '../conformance/store-conformance.js';

export interface ModelHarness {
  store: JobStore;
  clock: { now: number };
  close(): Promise<void>;
}

const queues = ['q', 'r'] as const;
/** `q` runs two jobs at once; owner `lim` one per queue. */
const queueCap = { q: 2, r: null } as const;
const limitedOwner: OwnerLimits = {
  priorityBoost: 0,
  maxConcurrentPerUser: 1,
  maxConcurrentPerProject: null,
  dailyJobs: null,
  iterationDepth: null,
  iterationBatch: 0,
};
const unlimited: OwnerLimits = { ...limitedOwner, maxConcurrentPerUser: null };
const leaseMs = 1_000;

type Command =
  | {
      kind: 'admit';
      queue: 'q' | 'r';
      owner: 'lim' | 'free';
      priority: number;
      delayMs: number;
      maxAttempts: number;
    }
  | { kind: 'claim'; queue: 'q' | 'r'; limit: number }
  | { kind: 'heartbeat' | 'progress' | 'complete' | 'release'; job: number; stale: boolean }
  | { kind: 'fail'; job: number; stale: boolean; retryable: boolean; retryDelayMs: number }
  | { kind: 'cancel' | 'retry'; job: number }
  | { kind: 'reap'; advance: number }
  | { kind: 'promote'; advance: number }
  | { kind: 'purge'; ageMs: number }
  | { kind: 'clear'; queue: 'q' | 'r' }
  | { kind: 'pause'; queue: 'q' | 'r'; paused: boolean }
  | { kind: 'advance'; ms: number };

const queue = fc.constantFrom(...queues);
const job = fc.nat({ max: 40 });
const stale = fc.oneof(
  { weight: 4, arbitrary: fc.constant(false) },
  { weight: 1, arbitrary: fc.constant(true) },
);

export const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('admit' as const),
      queue,
      owner: fc.constantFrom('lim' as const, 'free' as const),
      priority: fc.integer({ min: 1, max: 10 }),
      delayMs: fc.constantFrom(0, 0, 0, 500, 5_000),
      maxAttempts: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      queue,
      limit: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom(
        'heartbeat' as const,
        'progress' as const,
        'complete' as const,
        'release' as const,
      ),
      job,
      stale,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      job,
      stale,
      retryable: fc.boolean(),
      retryDelayMs: fc.constantFrom(0, 300),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('cancel' as const, 'retry' as const), job }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('reap' as const), advance: fc.constantFrom(0, leaseMs + 1) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('promote' as const), advance: fc.constantFrom(0, 600, 5_000) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('purge' as const), ageMs: fc.constantFrom(0, 1_000, 60_000) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), queue }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pause' as const), queue, paused: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 1_500 }) }),
  },
);

interface ModelJob {
  id: string;
  queue: 'q' | 'r';
  owner: 'lim' | 'free';
  status: JobStatus;
  attempts: number;
  maxAttempts: number;
  /** Every token a claim issued for it, the current one last. */
  tokens: string[];
  /** The token that may write now (null when not running). */
  current: string | null;
  leaseExpiresAt: number | null;
  runAt: number | null;
  cancelRequested: boolean;
  finishedAt: number | null;
}

class Violation extends Error {}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Violation(message);
}

const codeOf = (error: unknown) => (error as { code?: string }).code;

/** Runs one command sequence against `h.store` and the model, checking after each step. */
export async function runModel(h: ModelHarness, commands: Command[]): Promise<void> {
  const { store, clock } = h;
  const jobs: ModelJob[] = [];
  const paused = { q: false, r: false };
  await store.configureQueue({ queue: 'q', maxWorkers: queueCap.q, maxQueued: null });

  const live = (m: ModelJob) =>
    m.status === 'running' && m.leaseExpiresAt !== null && m.leaseExpiresAt > clock.now;
  const moved = (m: ModelJob, next: Job, how: string) => {
    check(
      next.status === m.status || canTransition(m.status, next.status),
      `${how}: ${m.id} moved ${m.status} → ${next.status}, not an edge of job-states.ts`,
    );
    if (isTerminal(m.status) && next.status !== m.status)
      check(
        how === 'retry' && m.status !== 'completed',
        `${how}: finished job ${m.id} (${m.status}) changed`,
      );
    check(
      next.attempts <= next.maxAttempts,
      `${how}: ${m.id} attempts ${next.attempts} > max ${next.maxAttempts}`,
    );
    m.status = next.status;
    m.attempts = next.attempts;
    m.runAt = next.runAt;
    m.cancelRequested = next.cancelRequested;
    m.finishedAt = next.finishedAt;
    if (next.status !== 'running') {
      m.current = null;
      m.leaseExpiresAt = null;
    }
  };
  const running = (queueName: string, owner?: string) =>
    jobs.filter((m) => m.queue === queueName && m.status === 'running' && (!owner || m.owner === owner))
      .length;
  const pick = (index: number) => (jobs.length ? jobs[index % jobs.length] : undefined);
  const tokenFor = (m: ModelJob, wantStale: boolean) => {
    if (!wantStale && m.current) return m.current;
    return m.tokens.length > (m.current ? 1 : 0) ? m.tokens[0]! : 'forged-token';
  };
  /** A write with the current token of a live lease must succeed; with any other, fail as lost. */
  const write = async (
    m: ModelJob,
    token: string,
    how: string,
    call: () => Promise<Job>,
  ): Promise<boolean> => {
    const current = token === m.current;
    const mustWork = current && live(m);
    try {
      const next = await call();
      check(current, `${how}: ${m.id} accepted a stale token (a stale write)`);
      moved(m, next, how);
      return true;
    } catch (error) {
      if (error instanceof Violation) throw error;
      check(!mustWork, `${how}: ${m.id} refused its live lease: ${String(error)}`);
      check(
        ['JOBGATE_ERR_LEASE_LOST', 'JOBGATE_ERR_JOB_NOT_FOUND'].includes(codeOf(error) ?? ''),
        `${how}: ${m.id} failed with ${String(error)}`,
      );
      if (current && !live(m)) {
        // An expired lease may be refused; the job is as it was.
        const now = await store.get(m.id);
        if (now) moved(m, now, how);
      }
      return false;
    }
  };

  for (const [step, c] of commands.entries()) {
    const at = `step ${step} ${c.kind}`;
    switch (c.kind) {
      case 'admit': {
        const [result] = await store.admit([
          {
            job: newJob({
              queue: c.queue,
              owner: c.owner,
              priority: c.priority,
              delayMs: c.delayMs || null,
              maxAttempts: c.maxAttempts,
            }),
            limits: c.owner === 'lim' ? limitedOwner : unlimited,
            calendar: { resetOffsetMs: 0, jitterMs: 0 },
            idempotency: null,
          },
        ]);
        check(result && result.kind === 'created', `${at}: not created: ${JSON.stringify(result)}`);
        const created = result.job;
        check(
          created.status === (c.delayMs ? 'scheduled' : 'queued'),
          `${at}: admitted as ${created.status}`,
        );
        jobs.push({
          id: created.id,
          queue: c.queue,
          owner: c.owner,
          status: created.status,
          attempts: 0,
          maxAttempts: c.maxAttempts,
          tokens: [],
          current: null,
          leaseExpiresAt: null,
          runAt: created.runAt,
          cancelRequested: false,
          finishedAt: null,
        });
        break;
      }
      case 'claim': {
        const eligible = jobs.filter(
          (m) =>
            m.queue === c.queue &&
            m.status === 'queued' &&
            (m.owner !== 'lim' || running(c.queue, 'lim') < 1) &&
            (queueCap[c.queue] === null || running(c.queue) < queueCap[c.queue]!),
        );
        const claimed = await store.claim({ queue: c.queue, workerId: 'w', limit: c.limit, leaseMs });
        check(claimed.length <= c.limit, `${at}: ${claimed.length} jobs for a limit of ${c.limit}`);
        if (paused[c.queue])
          check(claimed.length === 0, `${at}: a paused queue handed out ${claimed.length}`);
        else if (eligible.length)
          check(claimed.length > 0, `${at}: nothing claimed while ${eligible[0]!.id} was free to run`);
        for (const leased of claimed) {
          const m = jobs.find((j) => j.id === leased.id);
          check(m, `${at}: claimed an unknown job ${leased.id}`);
          check(m.queue === c.queue, `${at}: claimed ${m.id} of queue ${m.queue}`);
          check(m.status === 'queued', `${at}: claimed ${m.id} while ${m.status} (a second lease)`);
          check(!m.tokens.includes(leased.leaseToken), `${at}: ${m.id} got a token it had before`);
          moved(m, leased, at);
          check(leased.attempts === m.attempts, `${at}: attempts`);
          m.tokens.push(leased.leaseToken);
          m.current = leased.leaseToken;
          m.leaseExpiresAt = leased.leaseExpiresAt;
        }
        check(
          running(c.queue, 'lim') <= 1,
          `${at}: owner lim runs ${running(c.queue, 'lim')} in ${c.queue} (limit 1)`,
        );
        if (queueCap[c.queue] !== null)
          check(
            running(c.queue) <= queueCap[c.queue]!,
            `${at}: ${c.queue} runs ${running(c.queue)} (cap ${queueCap[c.queue]})`,
          );
        break;
      }
      case 'heartbeat': {
        const m = pick(c.job);
        if (!m) break;
        const token = tokenFor(m, c.stale);
        const wasLive = token === m.current && live(m);
        const beat = await store.heartbeat({ leases: [{ id: m.id, token }], leaseMs });
        if (token !== m.current)
          check(beat.lost.includes(m.id) && !beat.extended.includes(m.id), `${at}: stale token not lost`);
        else if (wasLive) check(beat.extended.includes(m.id), `${at}: live lease of ${m.id} not extended`);
        if (beat.extended.includes(m.id)) {
          check(token === m.current, `${at}: stale lease extended`);
          m.leaseExpiresAt = clock.now + leaseMs;
          check(beat.cancel.includes(m.id) === m.cancelRequested, `${at}: cancel signal for ${m.id}`);
        }
        break;
      }
      case 'progress': {
        const m = pick(c.job);
        if (!m) break;
        const token = tokenFor(m, c.stale);
        await write(m, token, at, () =>
          store.progress({ id: m.id, token, progress: { percent: 50, stage: 's', message: null } }),
        );
        break;
      }
      case 'complete': {
        const m = pick(c.job);
        if (!m) break;
        const token = tokenFor(m, c.stale);
        await write(m, token, at, () => store.complete({ id: m.id, token, result: { step } }));
        break;
      }
      case 'release': {
        const m = pick(c.job);
        if (!m) break;
        const token = tokenFor(m, c.stale);
        const before = m.attempts;
        if (await write(m, token, at, () => store.release({ id: m.id, token })))
          check(m.attempts === before - 1, `${at}: a release counted the attempt`);
        break;
      }
      case 'fail': {
        const m = pick(c.job);
        if (!m) break;
        const token = tokenFor(m, c.stale);
        const { attempts, maxAttempts, cancelRequested } = m;
        const accepted = await write(m, token, at, () =>
          store.fail({
            id: m.id,
            token,
            error: { message: 'x', retryable: c.retryable },
            retryDelayMs: c.retryDelayMs,
          }),
        );
        if (accepted) {
          const expected: JobStatus[] = cancelRequested
            ? ['cancelled']
            : c.retryable && attempts < maxAttempts
              ? c.retryDelayMs
                ? ['scheduled']
                : ['scheduled', 'queued']
              : ['failed'];
          check(
            expected.includes(m.status),
            `${at}: failed into ${m.status}, expected ${expected.join('|')}`,
          );
        }
        break;
      }
      case 'cancel': {
        const m = pick(c.job);
        if (!m) break;
        const before = m.status;
        try {
          const result = await store.cancel({ id: m.id });
          check(!isTerminal(before), `${at}: cancelled a finished job ${m.id} (${before})`);
          moved(m, result.job, at);
          check(
            result.outcome === (before === 'running' ? 'requested' : 'cancelled'),
            `${at}: cancel of a ${before} job answered ${result.outcome}`,
          );
        } catch (error) {
          if (error instanceof Violation) throw error;
          check(isTerminal(before), `${at}: cancel of a ${before} job failed: ${String(error)}`);
          check(codeOf(error) === 'JOBGATE_ERR_ILLEGAL_TRANSITION', `${at}: ${String(error)}`);
        }
        break;
      }
      case 'retry': {
        const m = pick(c.job);
        if (!m) break;
        const before = m.status;
        try {
          const next = await store.retry({ id: m.id });
          check(before === 'failed' || before === 'cancelled', `${at}: retried a ${before} job`);
          moved(m, next, 'retry');
          check(
            next.status === 'queued' && next.attempts === 0,
            `${at}: retry gave ${next.status}/${next.attempts}`,
          );
        } catch (error) {
          if (error instanceof Violation) throw error;
          check(
            before !== 'failed' && before !== 'cancelled',
            `${at}: retry of a ${before} job failed: ${String(error)}`,
          );
        }
        break;
      }
      case 'reap': {
        clock.now += c.advance;
        const reaped = await store.reapExpired({ limit: 1_000 });
        for (const next of reaped) {
          const m = jobs.find((j) => j.id === next.id);
          check(m && m.status === 'running', `${at}: reaped ${next.id}, which was ${m?.status}`);
          check(
            m.leaseExpiresAt !== null && m.leaseExpiresAt <= clock.now,
            `${at}: reaped a live lease of ${m.id}`,
          );
          const attempts = m.attempts;
          moved(m, next, at);
          if (next.status === 'queued')
            check(attempts < m.maxAttempts, `${at}: requeued ${m.id} with attempts spent`);
        }
        const missed = jobs.find((m) => m.status === 'running' && m.leaseExpiresAt! < clock.now);
        check(!missed, `${at}: the expired lease of ${missed?.id} was not reaped`);
        break;
      }
      case 'promote': {
        clock.now += c.advance;
        const promoted = await store.promoteDue({ limit: 1_000 });
        for (const next of promoted) {
          const m = jobs.find((j) => j.id === next.id);
          check(m && m.status === 'scheduled', `${at}: promoted ${next.id}, which was ${m?.status}`);
          check(m.runAt !== null && m.runAt <= clock.now, `${at}: promoted ${m.id} before its time`);
          moved(m, next, at);
        }
        const missed = jobs.find((m) => m.status === 'scheduled' && m.runAt! < clock.now);
        check(!missed, `${at}: the due job ${missed?.id} was not promoted`);
        break;
      }
      case 'purge': {
        const cutoff = clock.now - c.ageMs;
        const count = await store.purge({ completedBefore: cutoff, failedBefore: cutoff, limit: 1_000 });
        let gone = 0;
        for (const m of [...jobs]) {
          if (!isTerminal(m.status)) continue;
          if ((await store.get(m.id)) === null) {
            check(
              m.finishedAt !== null && m.finishedAt <= cutoff,
              `${at}: purged ${m.id}, finished after the cutoff`,
            );
            jobs.splice(jobs.indexOf(m), 1);
            gone++;
          } else check(m.finishedAt! >= cutoff, `${at}: kept ${m.id}, finished before the cutoff`);
        }
        check(count === gone, `${at}: purge said ${count}, ${gone} went`);
        break;
      }
      case 'clear': {
        const waiting = jobs.filter(
          (m) =>
            m.queue === c.queue &&
            (m.status === 'queued' || m.status === 'scheduled' || m.status === 'awaiting_confirmation'),
        );
        const cleared = await store.clearQueue({ queue: c.queue, limit: 1_000 });
        check(
          JSON.stringify(cleared.map((j) => j.id).sort()) === JSON.stringify(waiting.map((m) => m.id).sort()),
          `${at}: cleared ${cleared.length} jobs, ${waiting.length} were waiting`,
        );
        for (const m of waiting) jobs.splice(jobs.indexOf(m), 1);
        break;
      }
      case 'pause':
        await store.setPaused({ queue: c.queue, paused: c.paused });
        paused[c.queue] = c.paused;
        break;
      case 'advance':
        clock.now += c.ms;
        break;
    }
    if (step % 25 === 24 || step === commands.length - 1) await checkAll(store, jobs, `after ${at}`);
  }
}

/** Every job as the model has it; counts equal the model's and the paged listing's. */
async function checkAll(store: JobStore, jobs: ModelJob[], at: string): Promise<void> {
  for (const m of jobs) {
    const stored = await store.get(m.id);
    check(stored, `${at}: ${m.id} is gone`);
    check(stored.status === m.status, `${at}: ${m.id} is ${stored.status}, the model says ${m.status}`);
    check(stored.attempts === m.attempts, `${at}: ${m.id} attempts ${stored.attempts}, model ${m.attempts}`);
    check(stored.attempts <= stored.maxAttempts, `${at}: ${m.id} attempts over max`);
  }
  for (const queueName of queues) {
    const counts = await store.counts(queueName);
    for (const status of JOB_STATUSES) {
      const modelled = jobs.filter((m) => m.queue === queueName && m.status === status).length;
      check(
        counts[status] === modelled,
        `${at}: ${queueName} counts ${counts[status]} ${status}, model ${modelled}`,
      );
      const listed = await pageAll(store, { queue: queueName, status }, 7);
      check(
        listed.length === modelled,
        `${at}: ${queueName} lists ${listed.length} ${status}, model ${modelled}`,
      );
      check(new Set(listed).size === listed.length, `${at}: ${queueName} lists a ${status} job twice`);
    }
  }
}

/** The property: any command sequence keeps every invariant, on a fresh store each run. */
export function storeModelProperty(factory: () => Promise<ModelHarness>, maxCommands: number) {
  return fc.asyncProperty(
    fc.array(command, { minLength: 1, maxLength: maxCommands, size: 'max' }),
    async (commands) => {
      const h = await factory();
      try {
        await runModel(h, commands);
      } finally {
        await h.close();
      }
    },
  );
}

/** CI size by default; JOBGATE_MODEL_RUNS, JOBGATE_MODEL_COMMANDS and JOBGATE_MODEL_SEED change it. */
export const modelRuns = {
  runs: Number(process.env.JOBGATE_MODEL_RUNS ?? 500),
  commands: Number(process.env.JOBGATE_MODEL_COMMANDS ?? 100),
  seed: process.env.JOBGATE_MODEL_SEED ? Number(process.env.JOBGATE_MODEL_SEED) : undefined,
};
