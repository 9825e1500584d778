/**
 * The client SDK's event stream against a real server: `events(id)` yields a demo
 * job's events in order, survives a dropped connection without a gap, and `wait(id)`
 * follows the stream — or polls when the stream cannot be had.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { type JobEvent, JobgateClient, type JobView } from '../../src/client/index.js';

const adminKey = 'client-events-admin';
let server: RunningServer;
let client: JobgateClient;

beforeAll(async () => {
  server = await startServer({
    port: 0,
    host: '127.0.0.1',
    db: ':memory:',
    demo: true,
    adminKey,
    graceMs: 200,
  });
  client = new JobgateClient({ url: server.url, key: adminKey });
});

afterAll(async () => {
  await server.close();
});

async function collect(events: AsyncIterable<JobEvent>): Promise<JobEvent[]> {
  const seen: JobEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

/** A fetch whose event streams are cut after `cutAfter` events the first `cuts` times. */
function cuttingFetch(
  cutAfter: number,
  cuts: number,
): { fetch: typeof fetch; requests: Array<string | null> } {
  const requests: Array<string | null> = [];
  let left = cuts;
  const wrapped: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (!String(input).endsWith('/events')) return response;
    requests.push(new Headers(init?.headers).get('last-event-id'));
    if (left-- <= 0 || !response.body) return response;
    const reader = response.body.getReader();
    let events = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = await reader.read();
        if (done) return controller.close();
        controller.enqueue(value);
        events += (new TextDecoder().decode(value).match(/^data: /gm) ?? []).length;
        if (events >= cutAfter) {
          await reader.cancel();
          controller.close();
        }
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return { fetch: wrapped, requests };
}

describe('client.events', () => {
  it('yields the current state, each stage with rising percent, and ends after completed', async () => {
    await client.pauseQueue('demo');
    const job = await client.submit({ queue: 'demo', payload: { ms: 200, stages: ['one', 'two'] } });
    const reading = collect(client.events(job.id));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await client.resumeQueue('demo');
    const events = await reading;
    expect(events.map((e) => e.kind)).toEqual([
      'snapshot',
      'running',
      'progress',
      'progress',
      'progress',
      'completed',
    ]);
    expect(events[0]!.status).toBe('queued');
    expect(events.filter((e) => e.kind === 'progress').map((e) => e.progress.percent)).toEqual([0, 50, 100]);
  });

  it('reconnects with Last-Event-ID after a dropped connection, losing nothing', async () => {
    const cutting = cuttingFetch(2, 2);
    const resuming = new JobgateClient({ url: server.url, key: adminKey, fetch: cutting.fetch });
    await client.pauseQueue('demo');
    const job = await client.submit({ queue: 'demo', payload: { ms: 300, stages: ['a', 'b', 'c'] } });
    const witness = collect(client.events(job.id));
    const reading = collect(resuming.events(job.id, { retryDelayMs: 10 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await client.resumeQueue('demo');
    const [all, resumed] = await Promise.all([witness, reading]);
    expect(resumed).toEqual(all);
    expect(cutting.requests[0]).toBeNull();
    expect(cutting.requests.length).toBeGreaterThanOrEqual(2);
    expect(cutting.requests.slice(1).every((id) => id !== null)).toBe(true);
  });

  it('throws the typed error for another tenant’s job', async () => {
    const { key } = await client.request<{ key: string }>('POST', '/api/v1/keys', {
      owner: 'someone',
      role: 'tenant',
      tier: 'internal',
    });
    const job = await client.submit({ queue: 'demo', payload: { ms: 10 } });
    const stranger = new JobgateClient({ url: server.url, key });
    await expect(collect(stranger.events(job.id))).rejects.toMatchObject({
      status: 404,
      code: 'JOBGATE_ERR_JOB_NOT_FOUND',
    });
    await expect(stranger.wait(job.id)).rejects.toMatchObject({ code: 'JOBGATE_ERR_JOB_NOT_FOUND' });
  });
});

describe('client.wait', () => {
  it('follows the stream: every stage reaches onUpdate, and the result comes with the final job', async () => {
    const updates: JobView[] = [];
    const requests: string[] = [];
    const watching = new JobgateClient({
      url: server.url,
      key: adminKey,
      fetch: (input, init) => {
        requests.push(String(input));
        return fetch(input, init);
      },
    });
    const job = await client.submit({ queue: 'demo', payload: { ms: 200, stages: ['x', 'y'] } });
    const final = await watching.wait(job.id, {
      onUpdate: (update) => updates.push(update),
      intervalMs: 10_000,
    });
    expect(final).toMatchObject({ status: 'completed', result: { ok: true, stages: 2 } });
    expect(updates.map((u) => u.progress.stage).filter(Boolean)).toEqual(expect.arrayContaining(['x', 'y']));
    expect(updates.at(-1)).toMatchObject({ status: 'completed' });
    // One read, one stream, one final read: no polling.
    expect(requests.filter((url) => url.endsWith('/events'))).toHaveLength(1);
    expect(requests.filter((url) => url.endsWith(job.id))).toHaveLength(2);
  });

  it('polls when the stream cannot be had', async () => {
    let streams = 0;
    const noStreams = new JobgateClient({
      url: server.url,
      key: adminKey,
      fetch: (input, init) => {
        if (String(input).endsWith('/events')) {
          streams++;
          return Promise.reject(new TypeError('fetch failed'));
        }
        return fetch(input, init);
      },
    });
    const job = await client.submit({ queue: 'demo', payload: { ms: 100 } });
    const started = Date.now();
    const final = await noStreams.wait(job.id, { intervalMs: 20 });
    expect(final.status).toBe('completed');
    expect(streams).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('times out as before', async () => {
    const job = await client.submit({ queue: 'demo', payload: { ms: 5_000 } });
    await expect(client.wait(job.id, { timeoutMs: 150 })).rejects.toMatchObject({
      code: 'JOBGATE_ERR_NETWORK',
    });
    await client.cancel(job.id);
  });
});
