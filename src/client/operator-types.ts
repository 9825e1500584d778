/** JSON shapes of the queue, worker, pool, key, tenant and event routes, as the client sees them. */
import type { EstimatedWait, JobStatus } from './types.js';

export type { EstimatedWait };

export type QueueHealth = 'ok' | 'busy' | 'cold' | 'paused' | 'unknown';
export type WorkerSlotState = 'initializing' | 'ready' | 'idle' | 'running' | 'draining';
export type WorkerState = WorkerSlotState | 'dead';
export type WorkerCounts = Record<WorkerSlotState, number>;

export interface QueueStatusView {
  queue: string;
  status: QueueHealth;
  paused: boolean | null;
  workers: WorkerCounts;
  jobs: {
    scheduled: number;
    queued: number;
    running: number;
    completed: number;
    failed: number;
    cancelled: number;
    awaitingConfirmation: number;
  } | null;
  estimatedWait: EstimatedWait | null;
  maxWorkers: number | null;
  /** What the queue's jobs get when a submit leaves a field out; null when unknown. */
  policy: QueuePolicyView | null;
  errors?: Array<{ part: string; code: string; message: string }>;
}

export interface BackoffView {
  type: 'exponential' | 'fixed';
  baseMs: number;
  capMs?: number;
  jitter?: number;
}

/** A queue's effective policy (docs/CAPACITY.md). */
export interface QueuePolicyView {
  timeoutMs: number | null;
  maxAttempts: number;
  priority: number;
  backoff: Required<BackoffView>;
  maxQueued: number | null;
  /** The fields the queue's policy sets (the rest are the server's defaults). */
  set: string[];
}

/** A policy change; null puts a field back to the server's default. */
export interface QueuePolicyChange {
  timeoutMs?: number | null;
  maxAttempts?: number | null;
  priority?: number | null;
  backoff?: BackoffView | null;
  maxQueued?: number | null;
}

/** A cron schedule (docs/SCHEDULES.md). */
export interface ScheduleView {
  name: string;
  cron: string;
  timezone: string;
  queue: string;
  type: string;
  payload: unknown;
  priority: number;
  maxAttempts: number | null;
  timeoutMs: number | null;
  projectId: string | null;
  owner: string;
  tier: string;
  enabled: boolean;
  overlap: 'allow' | 'skip';
  missed: 'skip' | 'catch-up-one';
  createdAt: string;
  updatedAt: string;
  lastTick: string;
  nextRuns: string[];
  lastRun: { jobId: string; at: string; status: JobStatus | null } | null;
}

export type ScheduleChange = Partial<
  Omit<ScheduleView, 'name' | 'createdAt' | 'updatedAt' | 'lastTick' | 'nextRuns' | 'lastRun'>
>;

export interface StatsWindowView {
  since: string;
  completed: number;
  failed: number;
  cancelled: number;
  throughputPerMinute: number;
  successRate: number | null;
  runTimeMs: { p50: number; p95: number } | null;
  waitTimeMs: { p50: number; p95: number } | null;
  truncated: boolean;
}

export interface QueueStatsView {
  queue: string;
  at: string;
  windows: { hour: StatsWindowView; day: StatsWindowView };
}

export interface QueueHistoryView {
  queue: string;
  at: string;
  bucketMs: number;
  buckets: Array<{
    start: string;
    completed: number;
    failed: number;
    waitMsP50: number | null;
    runMsP50: number | null;
  }>;
  truncated: boolean;
}

export interface ActiveJobView {
  id: string;
  type: string;
  owner: string;
  projectId: string | null;
  workerId: string | null;
  progress: { percent: number; stage: string | null; message: string | null };
  attempts: number;
  maxAttempts: number;
  startedAt: string | null;
  leaseExpiresAt: string | null;
  cancelRequested: boolean;
}

export interface WarmupView {
  queue: string;
  status: 'noop' | 'started' | 'starting' | 'at_capacity';
  workersReady: number;
  workersInitializing: number;
  workersRunning: number;
  started: string[];
}

export interface PoolView {
  queue: string;
  provider: string;
  min: number;
  max: number;
  idleTimeoutSec: number;
  concurrency: number;
  workers: Array<{ id: string; phase: 'initializing' | 'live' | 'stopping' }>;
  /** Set while the pool's workers keep failing: how many in a row, the last one's reason, when starts resume. */
  crashLoop: { crashes: number; reason: string; lastCrashAt: string; nextStartAt: string } | null;
}

export interface WorkerView {
  id: string;
  queues: string[];
  concurrency: number;
  labels: Record<string, string>;
  version: string | null;
  state: WorkerState;
  running: number;
  startedAt: string;
  lastSeenAt: string;
}

export interface UsageView {
  jobsUsed: number;
  jobsRemaining: number | null;
  iterationsUsed: number;
  iterationsRemaining: number | null;
  dailyLimitResetsAt: string;
}

export type KeyRole = 'admin' | 'tenant' | 'worker';

export interface KeyRecordView {
  id: string;
  prefix: string;
  owner: string;
  role: KeyRole;
  tier: string;
  name: string | null;
  createdAt: string;
  revokedAt: string | null;
  /** The server's own key (its pool workers use it): revoking it answers 409. */
  protected: boolean;
}

export interface TenantView {
  owner: string;
  tiers: string[];
  activeKeys: number;
  running: number;
  queued: number;
  scheduled: number;
  countsCapped: boolean;
  usage: UsageView;
  dailyLimit: number | null;
  rateLimitedToday: number;
}

/** One job event, on the SSE stream and the WebSocket alike. */
export interface JobEvent {
  id: string;
  jobId: string;
  queue: string;
  /** `snapshot` (where a stream starts) or the transition: running, progress, completed, … */
  kind: string;
  status: JobStatus;
  progress: { percent: number; stage: string | null; message: string | null };
  at: string;
}
