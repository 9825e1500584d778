/**
 * Slow and malformed clients over real sockets: a bad request line and oversized
 * headers get the API's error body, slow headers and a slow body are cut at their
 * deadlines, a caller answered 401 loses its connection at once, and the long-lived
 * routes (SSE, WebSocket) outlive every one of those deadlines.
 */
import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ApiKeys } from '../../src/engine/api-keys.js';
import { Engine } from '../../src/engine/engine.js';
import { type AppOptions, buildApp } from '../../src/http/app.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const adminKey = `jg_000000000000_${'a'.repeat(40)}`;
let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

async function serve(options: Partial<AppOptions> = {}): Promise<{ app: FastifyInstance; port: number }> {
  const store = new SqliteStore({ file: ':memory:' });
  const engine = new Engine({ store });
  const keys = new ApiKeys(store, { bootstrapAdminKey: adminKey, tiers: ['free'] });
  const app = await buildApp({
    engine,
    keys,
    connections: { headersTimeoutMs: 400, requestTimeoutMs: 600, idleTimeoutMs: 1_500, checkIntervalMs: 50 },
    ...options,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  close = async () => {
    await app.close();
    await engine.stop();
    await store.close();
  };
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { app, port: address.port };
}

/** A raw connection: everything the server wrote, and when it closed. */
function rawClient(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  const opened = Date.now();
  socket.on('data', (chunk) => {
    received += chunk.toString();
  });
  const closed = new Promise<number>((resolve) => {
    socket.on('close', () => resolve(Date.now() - opened));
    socket.on('error', () => {});
  });
  return {
    socket,
    closed,
    get received() {
      return received;
    },
  };
}

function parse(raw: string): { status: number; headers: string; body: unknown } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  return {
    status: Number(head.split(' ')[1]),
    headers: head.toLowerCase(),
    body: body ? JSON.parse(body) : null,
  };
}

describe('malformed HTTP', () => {
  it('answers a bad request line with the API error body and closes', async () => {
    const { port } = await serve();
    const client = rawClient(port);
    client.socket.write('HELLO THERE\r\n\r\n');
    await client.closed;
    const answer = parse(client.received);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: { code: 'JOBGATE_ERR_BAD_REQUEST' } });
  });

  it('answers oversized headers with 431 JOBGATE_ERR_HEADERS_TOO_LARGE', async () => {
    const { port } = await serve();
    const client = rawClient(port);
    client.socket.write(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    await client.closed;
    const answer = parse(client.received);
    expect(answer.status).toBe(431);
    expect(answer.body).toMatchObject({ error: { code: 'JOBGATE_ERR_HEADERS_TOO_LARGE' } });
  });
});

describe('deadlines', () => {
  it('closes a client whose headers never finish (408)', async () => {
    const { port } = await serve();
    const client = rawClient(port);
    client.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    const after = await client.closed;
    expect(after).toBeLessThan(3_000);
    expect(parse(client.received)).toMatchObject({
      status: 408,
      body: { error: { code: 'JOBGATE_ERR_REQUEST_TIMEOUT' } },
    });
  });

  it('closes a client whose body trickles in past the request deadline (408)', async () => {
    const { port } = await serve();
    const client = rawClient(port);
    client.socket.write(
      `POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${adminKey}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"queue":',
    );
    const trickle = setInterval(() => client.socket.write(' '), 100);
    const after = await client.closed;
    clearInterval(trickle);
    expect(after).toBeGreaterThanOrEqual(550);
    expect(after).toBeLessThan(3_000);
    expect(parse(client.received)).toMatchObject({
      status: 408,
      body: { error: { code: 'JOBGATE_ERR_REQUEST_TIMEOUT' } },
    });
  });

  it('answers a bad key 401 and closes the connection without waiting for the body', async () => {
    const { port } = await serve({ connections: { requestTimeoutMs: 20_000, headersTimeoutMs: 10_000 } });
    const client = rawClient(port);
    client.socket.write(
      'POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer jg_nope\r\n' +
        'Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"queue":',
    );
    const trickle = setInterval(() => client.socket.writable && client.socket.write(' '), 50);
    const after = await client.closed;
    clearInterval(trickle);
    expect(after).toBeLessThan(2_000);
    expect(client.received).toMatch(/^HTTP\/1\.1 401/);
    expect(client.received.toLowerCase()).toContain('connection: close');
    expect(client.received).toContain('JOBGATE_ERR_UNAUTHORIZED');
  });

  it('caps the connections held at once', async () => {
    const { app, port } = await serve({ connections: { maxConnections: 2 } });
    expect(app.server.maxConnections).toBe(2);
    const held = [rawClient(port), rawClient(port)];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const third = rawClient(port);
    // Node drops a connection over the cap at accept: closed at once, nothing answered.
    expect(await third.closed).toBeLessThan(1_000);
    expect(third.received).toBe('');
    for (const client of held) client.socket.destroy();
  });
});

describe('long-lived routes outlive the deadlines', () => {
  it('keeps an SSE stream and a WebSocket open past request and idle deadlines', async () => {
    const { app, port } = await serve({ streams: { keepAliveMs: 300 } });
    const submit = await app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: { authorization: `Bearer ${adminKey}` },
      payload: { queue: 'q' },
    });
    const { id } = submit.json<{ id: string }>();

    const sse = rawClient(port);
    sse.socket.write(
      `GET /api/v1/jobs/${id}/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${adminKey}\r\n\r\n`,
    );
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/ws?key=${adminKey}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));

    // Past the request deadline (600 ms) and the idle timeout (1.5 s).
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(sse.socket.destroyed).toBe(false);
    expect(sse.received).toMatch(/^HTTP\/1\.1 200/);
    expect(sse.received).toContain('"kind":"snapshot"');
    expect(ws.readyState).toBe(WebSocket.OPEN);
    const reply = new Promise<string>((resolve) => ws.once('message', (data) => resolve(String(data))));
    ws.send(JSON.stringify({ op: 'subscribe', jobId: id }));
    expect(JSON.parse(await reply)).toMatchObject({ type: 'subscribed', jobId: id });
    ws.close();
    sse.socket.destroy();
  });
});
