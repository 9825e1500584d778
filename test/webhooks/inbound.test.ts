/**
 * Inbound hooks: GitHub's and the Standard Webhooks spec's published signature examples,
 * then a real server taking real-shaped GitHub pushes, Standard Webhooks and generic HMAC
 * senders, with every capacity rule of an API submit.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHookSignature, githubSignature } from '../../src/engine/hooks/hook-signature.js';
import { jsonPointer } from '../../src/engine/hooks/json-pointer.js';
import { startWebhookServer } from './webhook-server.js';

const githubSecret = "It's a Secret to Everybody";
const pushBody = readFileSync(new URL('../fixtures/github-push.json', import.meta.url), 'utf8');
const swSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('inbound hook signatures (published examples)', () => {
  it("matches GitHub's example: secret It's a Secret to Everybody, payload Hello, World!", () => {
    const expected = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(githubSignature(githubSecret, 'Hello, World!')).toBe(expected);
    const settings = { scheme: 'github' as const, secrets: ['another secret', githubSecret] };
    const body = Buffer.from('Hello, World!');
    expect(
      checkHookSignature(settings, { 'x-hub-signature-256': expected, 'x-github-delivery': 'd1' }, body),
    ).toEqual({
      ok: true,
      deliveryId: 'd1',
    });
    expect(
      checkHookSignature(settings, { 'x-hub-signature-256': expected }, Buffer.from('Hello, World?')).ok,
    ).toBe(false);
    expect(checkHookSignature(settings, {}, body).ok).toBe(false);
  });

  it("matches the Standard Webhooks spec's example, and refuses it once its timestamp is stale", () => {
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const body = Buffer.from('{"test": 2432232314}');
    const settings = { scheme: 'standard-webhooks' as const, secrets: [swSecret] };
    // At the example's own time it verifies (the library checks its clock too, so sign anew here).
    expect(new Webhook(swSecret).sign(headers['webhook-id'], new Date(1614265330_000), body)).toBe(
      headers['webhook-signature'],
    );
    expect(checkHookSignature(settings, headers, body)).toMatchObject({ ok: false, reason: /timestamp/ });
    const now = new Date();
    const fresh = {
      ...headers,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(swSecret).sign(headers['webhook-id'], now, body),
    };
    expect(checkHookSignature(settings, fresh, body)).toEqual({
      ok: true,
      deliveryId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    });
  });

  it('walks JSON pointers as RFC 6901 says', () => {
    const doc = { a: [{ 'b/c': 1, 'd~e': 2 }], '': 3 };
    expect(jsonPointer(doc, '')).toEqual({ found: true, value: doc });
    expect(jsonPointer(doc, '/a/0/b~1c')).toEqual({ found: true, value: 1 });
    expect(jsonPointer(doc, '/a/0/d~0e')).toEqual({ found: true, value: 2 });
    expect(jsonPointer(doc, '/')).toEqual({ found: true, value: 3 });
    expect(jsonPointer(doc, '/a/1')).toEqual({ found: false });
    expect(jsonPointer(doc, '/a/01')).toEqual({ found: false });
    expect(jsonPointer(doc, '/__proto__')).toEqual({ found: false });
  });
});

describe('POST /hooks/:name', () => {
  let server: Awaited<ReturnType<typeof startWebhookServer>>;
  const post = (name: string, body: string, headers: Record<string, string>) =>
    fetch(`${server.url}/hooks/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    }).then(async (r) => ({ status: r.status, body: await r.json(), headers: r.headers }));
  const github = (body: string, event = 'push', delivery: string = randomUUID()) => ({
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-hub-signature-256': githubSignature(githubSecret, body),
  });

  beforeAll(async () => {
    const tier = {
      priorityBoost: 0,
      maxConcurrentPerUser: -1,
      maxConcurrentPerProject: -1,
      iterationDepth: -1,
      iterationBatch: 1,
    };
    server = await startWebhookServer({
      config: {
        tiers: {
          free: { ...tier, dailyJobs: -1, ratePerMinute: 6000, burst: 1000 },
          tiny: { ...tier, dailyJobs: 1, ratePerMinute: 6000, burst: 1000 },
          slow: { ...tier, dailyJobs: -1, ratePerMinute: 1, burst: 1 },
        },
        queues: { capped: { maxQueued: 1 } },
        hooks: {
          github: {
            queue: 'ci',
            owner: 'acme',
            scheme: 'github',
            secret: githubSecret,
            events: ['push'],
            type: 'push',
            payload: '/head_commit',
          },
          sw: {
            queue: 'ci',
            owner: 'acme',
            scheme: 'standard-webhooks',
            secrets: [swSecret],
            events: ['build.requested'],
            payload: '/data',
          },
          generic: {
            queue: 'ci',
            owner: 'acme',
            scheme: 'hmac-sha256',
            secret: 's3cret',
            header: 'x-acme-signature',
            prefix: 'sha256=',
            timestampHeader: 'x-acme-timestamp',
            idHeader: 'x-acme-delivery',
            priority: 2,
          },
          quota: { queue: 'ci', owner: 'tiny-owner', tier: 'tiny', scheme: 'github', secret: githubSecret },
          cap: { queue: 'capped', owner: 'acme', scheme: 'github', secret: githubSecret },
          rate: { queue: 'ci', owner: 'slow-owner', tier: 'slow', scheme: 'github', secret: githubSecret },
        },
      },
    });
  }, 30_000);
  afterAll(async () => {
    await server?.close();
  });

  it('turns a GitHub-signed push into one job; the same delivery again is the same job', async () => {
    const delivery = randomUUID();
    const first = await post('github', pushBody, github(pushBody, 'push', delivery));
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      status: 'accepted',
      event: 'push',
      job: {
        queue: 'ci',
        type: 'push',
        owner: 'acme',
        payload: { id: '59b20b8d5c6ff8d09518454d4dd8b7a30f095ab5' },
      },
    });
    const again = await post('github', pushBody, github(pushBody, 'push', delivery));
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: 'duplicate', job: { id: first.body.job.id } });
    const listed = await server.api('/api/v1/jobs?queue=ci&type=push&limit=100');
    expect(listed.body.items.filter((j: { id: string }) => j.id === first.body.job.id)).toHaveLength(1);
  });

  it('answers 401 to a tampered body, a missing or wrong signature; 202 ignored to an unlisted event', async () => {
    const headers = github(pushBody);
    const tampered = pushBody.replace('Render the intro at 4K', 'rm -rf /');
    const answer = await post('github', tampered, headers);
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('JOBGATE_ERR_HOOK_SIGNATURE_INVALID');
    const { 'x-hub-signature-256': _, ...unsigned } = headers;
    expect((await post('github', pushBody, unsigned)).status).toBe(401);
    expect(
      (
        await post('github', pushBody, {
          ...headers,
          'x-hub-signature-256': githubSignature('wrong', pushBody),
        })
      ).status,
    ).toBe(401);
    const ping = '{"zen":"Keep it logically awesome.","hook_id":1}';
    expect(await post('github', ping, github(ping, 'ping'))).toMatchObject({
      status: 202,
      body: { status: 'ignored', event: 'ping' },
    });
    expect((await post('nope', pushBody, headers)).status).toBe(404);
  });

  it('takes Standard Webhooks senders within the 5-minute tolerance only', async () => {
    const body = JSON.stringify({
      type: 'build.requested',
      timestamp: new Date().toISOString(),
      data: { target: 'intro' },
    });
    const id = `msg_${randomUUID()}`;
    const sign = (at: Date) => ({
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(swSecret).sign(id, at, body),
    });
    const ok = await post('sw', body, sign(new Date()));
    expect(ok).toMatchObject({
      status: 202,
      body: { status: 'accepted', event: 'build.requested', job: { payload: { target: 'intro' } } },
    });
    expect((await post('sw', body, sign(new Date(Date.now() - 6 * 60_000)))).status).toBe(401);
    expect((await post('sw', body, sign(new Date()))).body).toMatchObject({
      status: 'duplicate',
      job: { id: ok.body.job.id },
    });
  });

  it('takes a generic HMAC sender with a prefix, a signed timestamp and a delivery id', async () => {
    const body = JSON.stringify({ build: 7 });
    const ts = String(Math.floor(Date.now() / 1000));
    const signature = `sha256=${createHmac('sha256', 's3cret').update(`${ts}.${body}`).digest('hex')}`;
    const headers = {
      'x-acme-signature': signature,
      'x-acme-timestamp': ts,
      'x-acme-delivery': randomUUID(),
    };
    expect(await post('generic', body, headers)).toMatchObject({
      status: 202,
      body: { job: { priority: 2, payload: { build: 7 } } },
    });
    expect(
      (await post('generic', body, { ...headers, 'x-acme-timestamp': String(Number(ts) - 1) })).status,
    ).toBe(401);
    expect(
      (await post('generic', body, { ...headers, 'x-acme-timestamp': String(Number(ts) - 3600) })).status,
    ).toBe(401);
  });

  it('refuses other content types (415), bodies over the limit (413) and bad JSON after a good signature (400)', async () => {
    const form = await fetch(`${server.url}/hooks/github`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...github('payload=x') },
      body: 'payload=x',
    });
    expect(form.status).toBe(415);
    const big = JSON.stringify({ blob: 'x'.repeat(1024 * 1024) });
    expect((await post('github', big, github(big))).status).toBe(413);
    expect((await post('github', '{"not json', github('{"not json'))).status).toBe(400);
  });

  it('applies the owner tier: quota → scheduled, queue cap → 503, rate limit → 429', async () => {
    const body = '{"n":1}';
    const first = await post('quota', body, github(body));
    expect(first.body.job.status).toBe('queued');
    const deferred = await post('quota', body, github(body));
    expect(deferred.status).toBe(202);
    expect(deferred.body.job.status).toBe('scheduled');

    expect((await post('cap', body, github(body))).status).toBe(202);
    const full = await post('cap', body, github(body));
    expect(full.status).toBe(503);
    expect(full.body.error.code).toBe('JOBGATE_ERR_QUEUE_FULL');

    expect((await post('rate', body, github(body))).status).toBe(202);
    const limited = await post('rate', body, github(body));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
