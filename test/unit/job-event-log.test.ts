import { describe, expect, it } from 'vitest';
import { EMPTY_PROGRESS, type Job } from '../../src/domain/job.js';
import { EventBus } from '../../src/engine/events.js';
import { endsStream, JobEventLog } from '../../src/engine/job-event-log.js';

function job(id: string, patch: Partial<Job> = {}): Job {
  return {
    id,
    queue: 'q',
    type: 'default',
    status: 'queued',
    priority: 5,
    payload: null,
    result: null,
    error: null,
    attempts: 0,
    maxAttempts: 3,
    timeoutMs: null,
    progress: { ...EMPTY_PROGRESS },
    owner: 'acme',
    projectId: null,
    parentId: null,
    depth: 0,
    iterationAllowance: null,
    createdAt: 0,
    runAt: 0,
    startedAt: null,
    finishedAt: null,
    workerId: null,
    leaseExpiresAt: null,
    cancelRequested: false,
    ...patch,
  };
}

const running = (id: string, percent: number) =>
  job(id, { status: 'running', progress: { percent, stage: `s${percent}`, message: null } });

describe('JobEventLog', () => {
  it('gives every event an id that rises within the job and is never reused', () => {
    const bus = new EventBus();
    const log = new JobEventLog(bus);
    bus.publish('queued', job('a'));
    bus.publish('queued', job('b'));
    bus.publish('running', running('a', 0));
    bus.publish('progress', running('a', 50));
    const { events } = log.open(job('a'), '0');
    expect(events).toHaveLength(1);
    expect(events[0]!.kind).toBe('snapshot');
    const seen: number[] = [];
    log.subscribe('a', (event) => seen.push(event.id));
    bus.publish('progress', running('a', 60));
    bus.publish('progress', running('a', 70));
    expect(seen).toHaveLength(2);
    expect(seen[1]!).toBeGreaterThan(seen[0]!);
    expect(seen[0]!).toBeGreaterThan(events[0]!.id);
    log.close();
  });

  it('starts a stream from a snapshot of the latest event, carrying that event’s id', () => {
    const bus = new EventBus();
    const log = new JobEventLog(bus);
    bus.publish('running', running('a', 0));
    bus.publish('progress', running('a', 40));
    const start = log.open(running('a', 10));
    expect(start.resumed).toBe(false);
    expect(start.events).toHaveLength(1);
    expect(start.events[0]).toMatchObject({ kind: 'snapshot', status: 'running', progress: { percent: 40 } });
    // Resuming from the snapshot's id continues after the event it stood for.
    bus.publish('completed', job('a', { status: 'completed' }));
    const resumed = log.open(job('a', { status: 'completed' }), String(start.events[0]!.id));
    expect(resumed.resumed).toBe(true);
    expect(resumed.events.map((e) => e.kind)).toEqual(['completed']);
    log.close();
  });

  it('resumes with exactly the events after the given id', () => {
    const bus = new EventBus();
    const log = new JobEventLog(bus);
    const ids: number[] = [];
    log.subscribe('a', (event) => ids.push(event.id));
    bus.publish('queued', job('a'));
    bus.publish('running', running('a', 0));
    bus.publish('progress', running('a', 50));
    bus.publish('completed', job('a', { status: 'completed' }));
    const start = log.open(job('a', { status: 'completed' }), String(ids[1]));
    expect(start.resumed).toBe(true);
    expect(start.seen?.id).toBe(ids[1]);
    expect(start.events.map((e) => e.kind)).toEqual(['progress', 'completed']);
    const atEnd = log.open(job('a', { status: 'completed' }), String(ids[3]));
    expect(atEnd).toMatchObject({ resumed: true, events: [] });
    expect(endsStream(atEnd.seen!)).toBe(true);
    log.close();
  });

  it('falls back to a snapshot when the id is unknown or fell out of the ring', () => {
    const bus = new EventBus();
    const log = new JobEventLog(bus, { perJob: 3 });
    const ids: number[] = [];
    log.subscribe('a', (event) => ids.push(event.id));
    for (let percent = 0; percent < 6; percent++) bus.publish('progress', running('a', percent * 10));
    const lost = log.open(running('a', 50), String(ids[0]));
    expect(lost.resumed).toBe(false);
    expect(lost.events).toEqual([
      expect.objectContaining({ kind: 'snapshot', progress: expect.objectContaining({ percent: 50 }) }),
    ]);
    expect(log.open(running('a', 50), 'not-an-id').resumed).toBe(false);
    expect(log.open(running('a', 50), String(ids[3])).events).toHaveLength(2);
    log.close();
  });

  it('seeds a snapshot from the caller’s read for a job it has not seen, and refreshes a stale seed', () => {
    const bus = new EventBus();
    const log = new JobEventLog(bus);
    const first = log.open(job('x', { status: 'scheduled' }));
    expect(first.events[0]).toMatchObject({ kind: 'snapshot', status: 'scheduled' });
    expect(log.open(job('x', { status: 'scheduled' })).events[0]!.id).toBe(first.events[0]!.id);
    const fresher = log.open(job('x', { status: 'queued' }));
    expect(fresher.events[0]).toMatchObject({ kind: 'snapshot', status: 'queued' });
    expect(fresher.events[0]!.id).toBeGreaterThan(first.events[0]!.id);
    log.close();
  });

  it('evicts a terminal job’s buffer after the retention, and the least recently updated past maxJobs', () => {
    let now = 1_000_000;
    const bus = new EventBus();
    const log = new JobEventLog(bus, { terminalRetainMs: 60_000, maxJobs: 3, now: () => now });
    bus.publish('completed', job('done', { status: 'completed' }));
    bus.publish('queued', job('live'));
    expect(log.size).toBe(2);
    now += 59_000;
    bus.publish('progress', running('live', 10));
    expect(log.size).toBe(2);
    now += 2_000;
    bus.publish('progress', running('live', 20));
    expect(log.size).toBe(1);
    bus.publish('queued', job('b'));
    bus.publish('queued', job('c'));
    bus.publish('queued', job('d'));
    expect(log.size).toBe(3);
    // `live` was updated before b, c and d: it went first.
    expect(log.open(running('live', 20), 'x').events[0]!.kind).toBe('snapshot');
    log.close();
  });

  it('keeps a job that comes back from a terminal state (retry), and ends streams on removal', () => {
    let now = 0;
    const bus = new EventBus();
    const log = new JobEventLog(bus, { terminalRetainMs: 10, now: () => now });
    bus.publish('failed', job('r', { status: 'failed' }));
    bus.publish('retried', job('r', { status: 'queued' }));
    now += 1_000;
    bus.publish('queued', job('other'));
    expect(log.open(job('r')).events[0]).toMatchObject({ status: 'queued', kind: 'snapshot' });
    expect(endsStream({ kind: 'removed', status: 'queued' })).toBe(true);
    expect(endsStream({ kind: 'progress', status: 'running' })).toBe(false);
    log.close();
  });

  it('delivers a queue’s events to queue subscribers, and nothing after close', () => {
    const bus = new EventBus();
    const log = new JobEventLog(bus);
    const kinds: string[] = [];
    const stop = log.subscribeQueue('q', (event) => kinds.push(`${event.jobId}:${event.kind}`));
    bus.publish('queued', job('a'));
    bus.publish('queued', job('b', { queue: 'other' }));
    stop();
    bus.publish('running', running('a', 0));
    log.subscribeQueue('q', (event) => kinds.push(event.kind));
    log.close();
    bus.publish('completed', job('a', { status: 'completed' }));
    expect(kinds).toEqual(['a:queued']);
  });

  it('bounds the events held in all, dropping the least recently updated jobs first', () => {
    const bus = new EventBus();
    const log = new JobEventLog(bus, { perJob: 4, maxEvents: 10 });
    for (const id of ['a', 'b', 'c']) for (let i = 0; i < 4; i++) bus.publish('progress', running(id, i));
    // 12 events would be held; `a` (the least recently updated) went to make room.
    expect(log.size).toBe(2);
    bus.publish('progress', running('b', 9));
    bus.publish('queued', job('d'));
    expect(log.size).toBe(3);
    expect(log.open(running('c', 3)).events[0]!.kind).toBe('snapshot');
    log.close();
  });

  it('validates its bounds', () => {
    expect(() => new JobEventLog(new EventBus(), { perJob: 0 })).toThrow(/perJob/);
    expect(() => new JobEventLog(new EventBus(), { maxJobs: 0 })).toThrow(/maxJobs/);
    expect(() => new JobEventLog(new EventBus(), { terminalRetainMs: -1 })).toThrow(/terminalRetainMs/);
    expect(() => new JobEventLog(new EventBus(), { perJob: 10, maxEvents: 5 })).toThrow(/maxEvents/);
  });
});
