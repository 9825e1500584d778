/**
 * Live job events against a real listening server (startServer on port 0) with real
 * clients: fetch reading Server-Sent Events, and the `ws` package over WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { collect, openSse, type StreamedEvent } from '../helpers/sse-reader.js';

const adminKey = 'streams-admin-key';
let server: RunningServer;
let alice: string;
let bob: string;

const api = async (method: string, path: string, key: string, body?: unknown) => {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
};

const submitDemo = async (key: string, payload: Record<string, unknown>) => {
  const { status, body } = await api('POST', '/api/v1/jobs', key, { queue: 'demo', payload });
  expect(status).toBe(202);
  return body.id as string;
};

const eventsUrl = (id: string) => `${server.url}/api/v1/jobs/${id}/events`;

beforeAll(async () => {
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    db: ':memory:',
    demo: true,
    adminKey,
    graceMs: 500,
    streams: { keepAliveMs: 100 },
  });
  const key = async (owner: string) =>
    (await api('POST', '/api/v1/keys', adminKey, { owner, role: 'tenant', tier: 'internal' })).body
      .key as string;
  alice = await key('alice');
  bob = await key('bob');
});

afterAll(async () => {
  await server.close();
});

/** queued → running → each stage with rising percent → completed, as the demo handler reports it. */
function expectDemoRun(events: StreamedEvent[], stages: string[]) {
  expect(events[0]).toMatchObject({ kind: 'snapshot', status: 'queued' });
  expect(events.map((e) => e.kind)).toEqual([
    'snapshot',
    'running',
    ...stages.map(() => 'progress'),
    'progress',
    'completed',
  ]);
  const progress = events.filter((e) => e.kind === 'progress');
  expect(progress.map((e) => e.progress.stage)).toEqual([...stages, stages.at(-1)]);
  const percents = progress.map((e) => e.progress.percent);
  for (let i = 1; i < percents.length; i++) expect(percents[i]!).toBeGreaterThan(percents[i - 1]!);
  expect(percents.at(-1)).toBe(100);
  expect(events.at(-1)).toMatchObject({ status: 'completed', progress: { percent: 100 } });
  const ids = events.map((e) => BigInt(e.id));
  for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
}

describe('GET /api/v1/jobs/:id/events (SSE)', () => {
  it('streams the current state, every transition and stage in order, keep-alives, and ends after completed', async () => {
    // Paused, so the stream opens on a job that is still queued.
    expect((await api('POST', '/api/v1/queues/demo/pause', adminKey)).status).toBe(200);
    const stages = ['load', 'render', 'encode'];
    const id = await submitDemo(alice, { ms: 450, stages });
    const stream = await openSse(eventsUrl(id), { authorization: `Bearer ${alice}` });
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reading = collect(stream.frames);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await api('POST', '/api/v1/queues/demo/resume', adminKey)).status).toBe(200);
    const { events, comments, ended } = await reading;
    expect(ended).toBe(true);
    expectDemoRun(events, stages);
    expect(events.every((e) => e.jobId === id)).toBe(true);
    expect(comments).toBeGreaterThanOrEqual(1);
  });

  it('resumes with Last-Event-ID without losing an event, then answers 204 after the end', async () => {
    const stages = ['a', 'b', 'c', 'd'];
    expect((await api('POST', '/api/v1/queues/demo/pause', adminKey)).status).toBe(200);
    const id = await submitDemo(alice, { ms: 600, stages });
    const auth = { authorization: `Bearer ${alice}` };
    const witness = await openSse(eventsUrl(id), auth);
    const full = collect(witness.frames);
    const first = await openSse(eventsUrl(id), auth);
    await api('POST', '/api/v1/queues/demo/resume', adminKey);
    // Drop the connection after the third event, mid-run.
    const before = await collect(first.frames, (events) => events.length === 3);
    first.close();
    const lastId = before.events.at(-1)!.id;
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await openSse(eventsUrl(id), { ...auth, 'last-event-id': lastId });
    expect(second.response.status).toBe(200);
    const after = await collect(second.frames);
    expect(after.ended).toBe(true);
    expect(after.events[0]!.kind).not.toBe('snapshot');
    const everything = (await full).events;
    expectDemoRun(everything, stages);
    expect([...before.events, ...after.events]).toEqual(everything);

    const done = await fetch(eventsUrl(id), { headers: { ...auth, 'last-event-id': everything.at(-1)!.id } });
    expect(done.status).toBe(204);
    // An id the server never issued (another server, a restart) restarts from a snapshot.
    const unknown = await openSse(eventsUrl(id), { ...auth, 'last-event-id': '42' });
    const fresh = await collect(unknown.frames);
    expect(fresh.events).toEqual([expect.objectContaining({ kind: 'snapshot', status: 'completed' })]);
  });

  it('is tenant-scoped: another tenant’s job is 404, no key is 401, ?key= works', async () => {
    const id = await submitDemo(alice, { ms: 10 });
    const theirs = await fetch(eventsUrl(id), { headers: { authorization: `Bearer ${bob}` } });
    expect(theirs.status).toBe(404);
    expect((await theirs.json()).error.code).toBe('JOBGATE_ERR_JOB_NOT_FOUND');
    const anonymous = await fetch(eventsUrl(id));
    expect(anonymous.status).toBe(401);
    const viaQuery = await openSse(`${eventsUrl(id)}?key=${encodeURIComponent(alice)}`);
    expect(viaQuery.response.status).toBe(200);
    const { events } = await collect(viaQuery.frames);
    expect(events.at(-1)).toMatchObject({ status: 'completed' });
    // The query key is only for stream routes.
    const elsewhere = await fetch(`${server.url}/api/v1/jobs/${id}?key=${encodeURIComponent(alice)}`);
    expect(elsewhere.status).toBe(401);
  });
});

/** A WebSocket client that queues every message it receives. */
async function connect(query = '', headers: Record<string, string> = {}) {
  const socket = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/ws${query}`, { headers });
  const inbox: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (data) => {
    inbox.push(JSON.parse(String(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`HTTP ${response.statusCode}`)),
    );
  });
  /** Resolves with the messages up to and including the first one `until` accepts. */
  const next = async (until: (message: Record<string, unknown>) => boolean, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    const taken: Array<Record<string, unknown>> = [];
    for (;;) {
      while (inbox.length > 0) {
        const message = inbox.shift()!;
        taken.push(message);
        if (until(message)) return taken;
      }
      if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(taken)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  };
  const send = (message: unknown) =>
    socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  return { socket, next, send };
}

describe('GET /api/v1/ws (WebSocket)', () => {
  it('streams a job’s events in the SSE shape and ends the subscription after completed', async () => {
    await api('POST', '/api/v1/queues/demo/pause', adminKey);
    const stages = ['x', 'y'];
    const id = await submitDemo(alice, { ms: 200, stages });
    const client = await connect('', { authorization: `Bearer ${alice}` });
    client.send({ op: 'subscribe', jobId: id });
    expect(await client.next((m) => m.type === 'subscribed')).toEqual([{ type: 'subscribed', jobId: id }]);
    const snapshot = await client.next((m) => m.type === 'event');
    await api('POST', '/api/v1/queues/demo/resume', adminKey);
    const rest = await client.next((m) => m.type === 'unsubscribed');
    expect(rest.at(-1)).toEqual({ type: 'unsubscribed', jobId: id, reason: 'ended' });
    const events = [...snapshot, ...rest]
      .filter((m) => m.type === 'event')
      .map(({ type: _type, ...event }) => event as unknown as StreamedEvent);
    expectDemoRun(events, stages);
    client.socket.close();
  });

  it('authenticates with ?key=, refuses another tenant’s job and queue subscriptions for tenants', async () => {
    const mine = await submitDemo(alice, { ms: 10 });
    const client = await connect(`?key=${encodeURIComponent(bob)}`);
    client.send({ op: 'subscribe', jobId: mine });
    const [refused] = await client.next((m) => m.type === 'error');
    expect(refused).toMatchObject({ type: 'error', code: 'JOBGATE_ERR_JOB_NOT_FOUND', jobId: mine });
    client.send({ op: 'subscribe', queue: 'demo' });
    expect((await client.next((m) => m.type === 'error'))[0]).toMatchObject({
      code: 'JOBGATE_ERR_FORBIDDEN',
      queue: 'demo',
    });
    client.send('not json');
    expect((await client.next((m) => m.type === 'error'))[0]).toMatchObject({
      code: 'JOBGATE_ERR_BAD_REQUEST',
    });
    client.send({ op: 'watch', jobId: mine });
    expect((await client.next((m) => m.type === 'error'))[0]).toMatchObject({
      code: 'JOBGATE_ERR_VALIDATION',
    });
    // Still open after every refusal.
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    client.socket.close();

    await expect(connect()).rejects.toThrow('HTTP 401');
    await expect(connect('?key=jg_wrong')).rejects.toThrow('HTTP 401');
  });

  it('gives an admin every event of a queue, and resumes a job subscription from lastEventId', async () => {
    const client = await connect('', { authorization: `Bearer ${adminKey}` });
    client.send({ op: 'subscribe', queue: 'demo' });
    await client.next((m) => m.type === 'subscribed');
    const id = await submitDemo(bob, { ms: 50, stages: ['only'] });
    const seen = await client.next((m) => m.type === 'event' && m.jobId === id && m.kind === 'completed');
    const kinds = seen.filter((m) => m.jobId === id).map((m) => m.kind);
    expect(kinds).toEqual(['created', 'queued', 'running', 'progress', 'progress', 'completed']);
    client.send({ op: 'unsubscribe', queue: 'demo' });
    await client.next((m) => m.type === 'unsubscribed');

    const runningId = seen.find((m) => m.jobId === id && m.kind === 'running')!.id as string;
    client.send({ op: 'subscribe', jobId: id, lastEventId: runningId });
    const replay = await client.next((m) => m.type === 'unsubscribed');
    expect(replay.filter((m) => m.type === 'event').map((m) => m.kind)).toEqual([
      'progress',
      'progress',
      'completed',
    ]);
    client.socket.close();
  });
});

describe('a cleared job', () => {
  it('ends its SSE stream with a removed event and its WebSocket subscription', async () => {
    await api('POST', '/api/v1/queues/demo/pause', adminKey);
    const id = await submitDemo(alice, { ms: 10 });
    const stream = await openSse(eventsUrl(id), { authorization: `Bearer ${alice}` });
    const reading = collect(stream.frames);
    const client = await connect('', { authorization: `Bearer ${alice}` });
    client.send({ op: 'subscribe', jobId: id });
    await client.next((m) => m.type === 'event');
    expect((await api('POST', '/api/v1/queues/demo/clear', adminKey)).body).toEqual({
      queue: 'demo',
      cleared: 1,
    });
    const { events, ended } = await reading;
    expect(ended).toBe(true);
    expect(events.map((e) => e.kind)).toEqual(['snapshot', 'removed']);
    const tail = await client.next((m) => m.type === 'unsubscribed');
    expect(tail.map((m) => m.kind ?? m.type)).toEqual(['removed', 'unsubscribed']);
    await api('POST', '/api/v1/queues/demo/resume', adminKey);
    client.socket.close();
  });

  it('stops a job subscription on unsubscribe', async () => {
    const id = await submitDemo(alice, { ms: 300, stages: ['s1', 's2', 's3'] });
    const client = await connect('', { authorization: `Bearer ${alice}` });
    client.send({ op: 'subscribe', jobId: id });
    await client.next((m) => m.type === 'event');
    client.send({ op: 'unsubscribe', jobId: id });
    await client.next((m) => m.type === 'unsubscribed' && m.jobId === id);
    await new Promise((resolve) => setTimeout(resolve, 450));
    client.send({ op: 'subscribe', queue: 'nope' });
    // Nothing about the job arrived after the unsubscribe; the next message answers the new request.
    const [next] = await client.next(() => true);
    expect(next).toMatchObject({ type: 'error', code: 'JOBGATE_ERR_FORBIDDEN' });
    client.socket.close();
  });
});

describe('shutdown', () => {
  it('ends open streams so the server closes promptly', async () => {
    const own = await startServer({
      port: 0,
      host: '127.0.0.1',
      db: ':memory:',
      demo: true,
      adminKey,
      graceMs: 100,
    });
    const id = (
      await (
        await fetch(`${own.url}/api/v1/jobs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ queue: 'demo', payload: { ms: 60_000 } }),
        })
      ).json()
    ).id as string;
    const stream = await openSse(`${own.url}/api/v1/jobs/${id}/events`, {
      authorization: `Bearer ${adminKey}`,
    });
    const reading = collect(stream.frames);
    const socket = new WebSocket(`${own.url.replace('http', 'ws')}/api/v1/ws`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    await new Promise((resolve) => socket.once('open', resolve));
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect((await reading).ended).toBe(true);
    await new Promise((resolve) =>
      socket.readyState === WebSocket.CLOSED ? resolve(null) : socket.once('close', resolve),
    );
  });
});
