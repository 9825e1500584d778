/**
 * Outbound webhooks end to end: a real server, real local receivers that verify every
 * request with the `standardwebhooks` library.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';
import { callbackSecret, startWebhookServer, tenantKey } from './webhook-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function server(options: Parameters<typeof startWebhookServer>[0] = {}) {
  const s = await startWebhookServer(options);
  cleanups.push(() => s.close());
  return s;
}

async function receiver(respond?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(respond);
  cleanups.push(() => r.close());
  return r;
}

describe('outbound webhooks', () => {
  it('delivers every terminal event of 200 jobs, each verified by standardwebhooks; a tenant sees only its own', {
    timeout: 60_000,
  }, async () => {
    const s = await server();
    const alice = await tenantKey(s.api, 'alice');
    const bob = await tenantKey(s.api, 'bob');
    const r = await receiver();
    const created = await s.api('/api/v1/webhooks', { method: 'POST', key: alice, body: { url: r.url } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    expect(created.body.subscription).toMatchObject({
      owner: 'alice',
      allOwners: false,
      events: ['job.completed', 'job.failed', 'job.cancelled'],
      enabled: true,
      secretsValid: 1,
    });
    r.secrets.push(created.body.secret);
    // The secret is shown once.
    const read = await s.api(`/api/v1/webhooks/${created.body.subscription.id}`, { key: alice });
    expect(JSON.stringify(read.body)).not.toContain('whsec_');
    expect((await s.api(`/api/v1/webhooks/${created.body.subscription.id}`, { key: bob })).status).toBe(404);
    expect((await s.api('/api/v1/webhooks', { key: bob })).body.items).toEqual([]);

    const ids = new Set<string>();
    for (let batch = 0; batch < 4; batch++) {
      const jobs = Array.from({ length: 50 }, (_, i) => ({
        queue: 'demo',
        payload: { ms: 1, fail: (batch * 50 + i) % 10 === 0 },
        maxAttempts: 1,
      }));
      const answer = await s.api('/api/v1/jobs/batch', { method: 'POST', key: alice, body: { jobs } });
      expect(answer.status).toBe(202);
      for (const item of answer.body.items) ids.add(item.job.id);
    }
    await s.api('/api/v1/jobs', { method: 'POST', key: bob, body: { queue: 'demo', payload: { ms: 1 } } });
    await waitFor(() => r.accepted.size >= 200, { timeoutMs: 45_000, message: '200 deliveries' });
    const verified = r.received.filter((entry) => entry.verified !== null);
    expect(verified).toHaveLength(r.received.length);
    const byJob = new Map(verified.map((entry) => [entry.verified!.data.id as string, entry.verified!]));
    expect([...byJob.keys()].sort()).toEqual([...ids].sort());
    expect([...byJob.values()].filter((v) => v.type === 'job.failed')).toHaveLength(20);
    for (const v of byJob.values()) {
      expect(v.data.owner).toBe('alice');
      expect(v.type).toBe(`job.${v.data.status as string}`);
      expect((v.data.error as { stack?: string } | null)?.stack).toBeUndefined();
    }
    const log = await s.api(`/api/v1/webhooks/${created.body.subscription.id}/deliveries?limit=5`, {
      key: alice,
    });
    expect(log.status).toBe(200);
    expect(log.body.items).toHaveLength(5);
    expect(log.body.items[0]).toMatchObject({
      status: 'delivered',
      attempts: 1,
      responseCode: 200,
      response: 'answer 200',
    });
    expect(log.body.nextCursor).toEqual(expect.any(String));
  });

  it('retries a receiver that answers 500 for a while, with backoff, until it has everything', {
    timeout: 30_000,
  }, async () => {
    const s = await server();
    const started = Date.now();
    const r = await receiver(() => ({ status: Date.now() - started < 1_500 ? 500 : 200 }));
    const created = await s.api('/api/v1/webhooks', {
      method: 'POST',
      body: { url: r.url, queues: ['demo'] },
    });
    r.secrets.push(created.body.secret);
    const jobs = Array.from({ length: 20 }, () => ({ queue: 'demo', payload: { ms: 1 } }));
    await s.api('/api/v1/jobs/batch', { method: 'POST', body: { jobs } });
    await waitFor(() => r.accepted.size >= 20, {
      timeoutMs: 20_000,
      message: 'every delivery after the outage',
    });
    const log = await s.api(`/api/v1/webhooks/${created.body.subscription.id}/deliveries?limit=50`);
    expect(log.body.items.every((d: { status: string }) => d.status === 'delivered')).toBe(true);
    const retried = log.body.items.filter((d: { attempts: number }) => d.attempts > 1);
    expect(retried.length).toBeGreaterThan(0);
    const [first] = retried;
    expect(first.history.map((a: { responseCode: number }) => a.responseCode).slice(0, 2)).toEqual([
      500,
      expect.any(Number),
    ]);
    // Backoff: the attempts of one delivery are spread by the schedule (100 ms, 200 ms, …).
    const times = first.history.map((a: { at: string }) => Date.parse(a.at));
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(90);
  });

  it('honours Retry-After on a 429', { timeout: 20_000 }, async () => {
    const s = await server();
    let calls = 0;
    const r = await receiver(() =>
      ++calls === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 },
    );
    const created = await s.api('/api/v1/webhooks', { method: 'POST', body: { url: r.url } });
    r.secrets.push(created.body.secret);
    await s.api('/api/v1/jobs', { method: 'POST', body: { queue: 'demo', payload: { ms: 1 } } });
    await waitFor(() => r.accepted.size >= 1, {
      timeoutMs: 10_000,
      message: 'the delivery after Retry-After',
    });
    expect(r.received[1]!.at - r.received[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('a slow receiver slows neither job throughput nor another receiver', { timeout: 40_000 }, async () => {
    const s = await server({
      webhooks: {
        perEndpointConcurrency: 2,
        send: {
          connectTimeoutMs: 1000,
          timeoutMs: 20_000,
          maxResponseBytes: 65536,
          allowPrivateTargets: true,
        },
      },
    });
    const slow = await receiver(() => ({ status: 200, delayMs: 10_000 }));
    const fast = await receiver();
    for (const r of [slow, fast]) {
      const created = await s.api('/api/v1/webhooks', { method: 'POST', body: { url: r.url } });
      r.secrets.push(created.body.secret);
    }
    const t0 = Date.now();
    const jobs = Array.from({ length: 50 }, () => ({ queue: 'demo', payload: { ms: 1 } }));
    const answer = await s.api('/api/v1/jobs/batch', { method: 'POST', body: { jobs } });
    const ids = answer.body.items.map((item: { job: { id: string } }) => item.job.id);
    await waitFor(
      async () => {
        const page = await s.api('/api/v1/jobs?queue=demo&status=completed&limit=100');
        return page.body.items.length >= 50;
      },
      { timeoutMs: 10_000, message: 'every job completed' },
    );
    const jobsDone = Date.now() - t0;
    await waitFor(() => fast.accepted.size >= 50, {
      timeoutMs: 10_000,
      message: 'the fast receiver has all',
    });
    const fastDone = Date.now() - t0;
    expect(jobsDone).toBeLessThan(4_000);
    expect(fastDone).toBeLessThan(4_000);
    // The slow one is being served two at a time, not blocking anyone.
    expect(slow.accepted.size).toBeLessThan(ids.length);
    expect(slow.received.length).toBeLessThanOrEqual(2 + slow.accepted.size);
  });

  it('refuses metadata, loopback and mapped-loopback targets unless private targets are allowed', async () => {
    const s = await server({ config: { webhooks: {} } });
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://[::ffff:127.0.0.1]/',
      'http://127.0.0.1:8080/',
      'http://[::1]/',
      'http://10.1.2.3/',
      'http://100.64.0.1/',
      'http://[fd00:ec2::254]/',
      'http://localhost/',
    ]) {
      const answer = await s.api('/api/v1/webhooks', { method: 'POST', body: { url } });
      expect(answer.status, url).toBe(400);
      expect(answer.body.error.code).toBe('JOBGATE_ERR_WEBHOOK_TARGET_REFUSED');
    }
    expect(
      (await s.api('/api/v1/webhooks', { method: 'POST', body: { url: 'ftp://example.com/' } })).status,
    ).toBe(400);
    expect(
      (await s.api('/api/v1/webhooks', { method: 'POST', body: { url: 'https://example.com/hook' } })).status,
    ).toBe(201);
    // A name that resolves to loopback is refused when it is resolved, at send time.
    const r = await receiver();
    const named = await s.api('/api/v1/webhooks', {
      method: 'POST',
      body: { url: r.url.replace('127.0.0.1', 'localtest.me') },
    });
    expect([201, 400]).toContain(named.status);
  });

  it('rotates a secret: both sign during the overlap', { timeout: 20_000 }, async () => {
    const s = await server();
    const oldOnly = await receiver();
    const created = await s.api('/api/v1/webhooks', { method: 'POST', body: { url: oldOnly.url } });
    const id = created.body.subscription.id;
    const rotated = await s.api(`/api/v1/webhooks/${id}`, { method: 'PATCH', body: { rotateSecret: true } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(rotated.body.subscription.secretsValid).toBe(2);
    oldOnly.secrets.push(created.body.secret);
    await s.api('/api/v1/jobs', { method: 'POST', body: { queue: 'demo', payload: { ms: 1 } } });
    await waitFor(() => oldOnly.accepted.size >= 1, { timeoutMs: 10_000, message: 'a delivery' });
    const [entry] = oldOnly.received;
    expect(entry!.verified).not.toBeNull();
    expect(String(entry!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    const { Webhook } = await import('standardwebhooks');
    expect(() =>
      new Webhook(rotated.body.secret).verify(entry!.body, entry!.headers as Record<string, string>),
    ).not.toThrow();
  });

  it('disables an endpoint that keeps failing, with a reason; PATCH enabled re-enables it and redeliver resends', {
    timeout: 20_000,
  }, async () => {
    const s = await server({
      webhooks: { disableAfterMs: 300, schedule: { delaysMs: [50, 50, 50, 50, 50, 50, 50], jitter: 0 } },
    });
    let healthy = false;
    const r = await receiver(() => ({ status: healthy ? 200 : 500 }));
    const created = await s.api('/api/v1/webhooks', { method: 'POST', body: { url: r.url } });
    const id = created.body.subscription.id;
    r.secrets.push(created.body.secret);
    await s.api('/api/v1/jobs', { method: 'POST', body: { queue: 'demo', payload: { ms: 1 } } });
    const disabled = await waitFor(
      async () => {
        const sub = (await s.api(`/api/v1/webhooks/${id}`)).body;
        return sub.enabled === false ? sub : null;
      },
      { timeoutMs: 10_000, message: 'the subscription disabled' },
    );
    expect(disabled.disabledReason).toMatch(/failed/);
    expect(disabled.failingSince).toEqual(expect.any(String));
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/jobgate_webhook_endpoints_disabled_total 1/);
    expect(metrics).toMatch(/jobgate_webhook_deliveries_total\{outcome="retry",channel="http"\} \d+/);
    healthy = true;
    const enabled = await s.api(`/api/v1/webhooks/${id}`, { method: 'PATCH', body: { enabled: true } });
    expect(enabled.body.subscription).toMatchObject({
      enabled: true,
      disabledReason: null,
      failingSince: null,
    });
    await waitFor(() => r.accepted.size >= 1, {
      timeoutMs: 10_000,
      message: 'the pending delivery after re-enabling',
    });
    const [delivery] = (await s.api(`/api/v1/webhooks/${id}/deliveries`)).body.items;
    expect(delivery.status).toBe('delivered');
    const again = await s.api(`/api/v1/webhooks/${id}/deliveries/${delivery.id}/redeliver`, {
      method: 'POST',
    });
    expect(again.status).toBe(202);
    await waitFor(() => r.received.filter((e) => e.id === delivery.id && e.verified).length >= 2, {
      timeoutMs: 10_000,
      message: 'the redelivery',
    });
    expect((await s.api(`/api/v1/webhooks/${id}/deliveries/nope/redeliver`, { method: 'POST' })).status).toBe(
      404,
    );
    expect((await s.api(`/api/v1/webhooks/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await s.api(`/api/v1/webhooks/${id}`)).status).toBe(404);
  });

  it('POSTs a job’s callbackUrl its terminal event, signed with the callback secret', {
    timeout: 20_000,
  }, async () => {
    const s = await server();
    const r = await receiver();
    r.secrets.push(callbackSecret);
    const answer = await s.api('/api/v1/jobs', {
      method: 'POST',
      body: { queue: 'demo', payload: { ms: 1 }, callbackUrl: r.url },
    });
    expect(answer.status).toBe(202);
    await waitFor(() => r.accepted.size >= 1, { timeoutMs: 10_000, message: 'the callback' });
    expect(r.received[0]!.verified).toMatchObject({ type: 'job.completed', data: { id: answer.body.id } });
    const refused = await s.api('/api/v1/jobs', {
      method: 'POST',
      body: { queue: 'demo', callbackUrl: 'not a url' },
    });
    expect(refused.status).toBe(400);
  });
});
