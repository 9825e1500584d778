/**
 * Recent events per job, so a stream that reconnects (SSE `Last-Event-ID`, a WS
 * `lastEventId`) resumes without a gap.
 *
 * Every event the EventBus publishes is appended to its job's ring buffer under a
 * fresh id. Ids come from one counter per log, seeded from the clock (ms × 1000), so
 * they rise within a job's stream, are never reused by this process (not even when a
 * job's buffer is evicted and built again), and an id from an earlier process is
 * below every id of this one. Ids are opaque to clients: they only hand one back.
 *
 * A resume replays the events after the given id when that id is still in the
 * buffer. When it is not (the buffer overflowed, was evicted, or the id came from
 * another server or an earlier process) the stream starts again from a snapshot of
 * the job's current state: the client may miss intermediate progress, never a state.
 *
 * Memory is bounded three ways: `perJob` events per job, `maxJobs` buffers and
 * `maxEvents` events in all (least recently updated buffers evicted first; at the
 * defaults a few tens of MB at most). A job's buffer is dropped `terminalRetainMs`
 * after it reached a terminal state. Eviction runs as events arrive and as streams
 * open, so the log needs no timer of its own.
 */
import type { Job, JobProgress } from '../domain/job.js';
import { isTerminal } from '../domain/job-states.js';
import type { EventBus, JobEvent, JobEventKind } from './events.js';

/** `snapshot` is the job's state as a stream found it, not a transition. */
export type LoggedEventKind = JobEventKind | 'snapshot';

export interface LoggedEvent {
  id: number;
  jobId: string;
  queue: string;
  /** The job's owner, so a queue-wide subscriber can be scoped to a tenant. */
  owner: string;
  kind: LoggedEventKind;
  status: Job['status'];
  progress: JobProgress;
  /** Epoch ms. */
  at: number;
}

export interface JobEventLogOptions {
  /** Events kept per job (default 256). */
  perJob?: number;
  /** Job buffers kept in all (default 10,000). */
  maxJobs?: number;
  /** Events kept in all buffers together (default 100,000). */
  maxEvents?: number;
  /** How long a terminal job's buffer is kept for late resumes (default 5 min). */
  terminalRetainMs?: number;
  now?: () => number;
}

export const jobEventLogDefaults = {
  perJob: 256,
  maxJobs: 10_000,
  maxEvents: 100_000,
  terminalRetainMs: 5 * 60_000,
};

/** Whether a stream has nothing more to say after this event. */
export function endsStream(event: Pick<LoggedEvent, 'kind' | 'status'>): boolean {
  return event.kind === 'removed' || isTerminal(event.status);
}

export interface StreamStart {
  /** What to send first: the events after the client's last one, or one snapshot. */
  events: LoggedEvent[];
  /** Whether the client's `lastEventId` was found, so `events` continue its stream. */
  resumed: boolean;
  /** The event the client's `lastEventId` names, when resumed. */
  seen: LoggedEvent | null;
}

interface Buffer {
  events: LoggedEvent[];
  /** When the job reached a terminal state; null while it is live. */
  terminalAt: number | null;
}

type Listener = (event: LoggedEvent) => void;

export class JobEventLog {
  private readonly perJob: number;
  private readonly maxJobs: number;
  private readonly maxEvents: number;
  /** Events held in all buffers. */
  private events = 0;
  private readonly terminalRetainMs: number;
  private readonly now: () => number;
  /** Insertion order = least recently updated first (a buffer is re-inserted on every append). */
  private readonly buffers = new Map<string, Buffer>();
  /** Terminal jobs in the order they became terminal, for eviction by age. */
  private readonly terminal = new Map<string, number>();
  private readonly jobListeners = new Map<string, Set<Listener>>();
  private readonly queueListeners = new Map<string, Set<Listener>>();
  private nextId: number;
  private readonly unsubscribe: () => void;

  constructor(bus: EventBus, options: JobEventLogOptions = {}) {
    this.perJob = options.perJob ?? jobEventLogDefaults.perJob;
    this.maxJobs = options.maxJobs ?? jobEventLogDefaults.maxJobs;
    this.maxEvents = options.maxEvents ?? jobEventLogDefaults.maxEvents;
    this.terminalRetainMs = options.terminalRetainMs ?? jobEventLogDefaults.terminalRetainMs;
    if (!(this.perJob >= 1)) throw new Error('perJob must be at least 1');
    if (!(this.maxJobs >= 1)) throw new Error('maxJobs must be at least 1');
    if (!(this.maxEvents >= this.perJob)) throw new Error('maxEvents must be at least perJob');
    if (!(this.terminalRetainMs >= 0)) throw new Error('terminalRetainMs must not be negative');
    this.now = options.now ?? Date.now;
    this.nextId = Date.now() * 1000;
    this.unsubscribe = bus.subscribe((event) => this.record(event));
  }

  /** Stops recording; listeners get nothing more. */
  close(): void {
    this.unsubscribe();
    this.jobListeners.clear();
    this.queueListeners.clear();
  }

  /**
   * Where a stream of `job` starts. With `lastEventId` still in the buffer: the events
   * after it (`resumed`, possibly none). Otherwise one snapshot of the job's current
   * state. `job` is the caller's fresh read, used when no newer event was seen.
   * Synchronous, so a caller that subscribes right after misses nothing in between.
   */
  open(job: Job, lastEventId?: string): StreamStart {
    this.evictExpired();
    const buffer = this.buffers.get(job.id);
    if (buffer && lastEventId !== undefined) {
      const index = buffer.events.findIndex((event) => String(event.id) === lastEventId);
      const seen = buffer.events[index];
      if (seen) return { events: buffer.events.slice(index + 1), resumed: true, seen };
    }
    const latest = buffer?.events.at(-1);
    // A buffer that saw only snapshots is no fresher than the caller's read; one that saw an
    // event is (events are published after the store call that made them).
    if (latest && latest.kind !== 'snapshot') {
      return { events: [{ ...latest, kind: 'snapshot' }], resumed: false, seen: null };
    }
    if (latest && sameState(latest, job)) return { events: [latest], resumed: false, seen: null };
    return { events: [this.append(job, 'snapshot', this.now())], resumed: false, seen: null };
  }

  /** Calls `listener` with every event of `jobId` from now on; returns an unsubscribe. */
  subscribe(jobId: string, listener: Listener): () => void {
    return addListener(this.jobListeners, jobId, listener);
  }

  /** Calls `listener` with every event of every job of `queue` from now on. */
  subscribeQueue(queue: string, listener: Listener): () => void {
    return addListener(this.queueListeners, queue, listener);
  }

  /** Buffers held now (for tests and metrics). */
  get size(): number {
    return this.buffers.size;
  }

  private record({ kind, job, at }: JobEvent): void {
    this.evictExpired();
    const event = this.append(job, kind, at);
    for (const listener of [...(this.jobListeners.get(job.id) ?? [])]) listener(event);
    for (const listener of [...(this.queueListeners.get(job.queue) ?? [])]) listener(event);
  }

  private append(job: Job, kind: LoggedEventKind, at: number): LoggedEvent {
    const event: LoggedEvent = {
      id: ++this.nextId,
      jobId: job.id,
      queue: job.queue,
      owner: job.owner,
      kind,
      status: job.status,
      progress: { ...job.progress },
      at,
    };
    const buffer = this.buffers.get(job.id) ?? { events: [], terminalAt: null };
    buffer.events.push(event);
    this.events++;
    if (buffer.events.length > this.perJob) {
      this.events -= buffer.events.splice(0, buffer.events.length - this.perJob).length;
    }
    this.buffers.delete(job.id);
    this.buffers.set(job.id, buffer);
    this.terminal.delete(job.id);
    buffer.terminalAt = endsStream(event) ? this.now() : null;
    if (buffer.terminalAt !== null) this.terminal.set(job.id, buffer.terminalAt);
    // The buffer just appended to is the newest, so it is never the one dropped.
    while (this.buffers.size > this.maxJobs || this.events > this.maxEvents) {
      const oldest = this.buffers.keys().next().value as string;
      this.drop(oldest);
    }
    return event;
  }

  private evictExpired(): void {
    const cutoff = this.now() - this.terminalRetainMs;
    for (const [jobId, terminalAt] of this.terminal) {
      if (terminalAt > cutoff) break;
      this.drop(jobId);
    }
  }

  private drop(jobId: string): void {
    this.events -= this.buffers.get(jobId)?.events.length ?? 0;
    this.buffers.delete(jobId);
    this.terminal.delete(jobId);
  }
}

function sameState(event: LoggedEvent, job: Job): boolean {
  return (
    event.status === job.status &&
    event.progress.percent === job.progress.percent &&
    event.progress.stage === job.progress.stage &&
    event.progress.message === job.progress.message
  );
}

function addListener(map: Map<string, Set<Listener>>, key: string, listener: Listener): () => void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(listener);
  return () => {
    const current = map.get(key);
    if (!current) return;
    current.delete(listener);
    if (current.size === 0) map.delete(key);
  };
}
