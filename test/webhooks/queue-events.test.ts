/**
 * Queue events: an admin subscription to `queue.paused` / `queue.resumed` gets a signed
 * delivery when an operator pauses and resumes a queue it covers; a tenant's
 * subscription to the same events, and one filtered to another queue, get none.
 */
import { afterEach, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';
import { startWebhookServer, tenantKey } from './webhook-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  cleanups.push(() => r.close());
  return r;
}

it('delivers queue.paused and queue.resumed to admin subscriptions that cover the queue', async () => {
  const s = await startWebhookServer();
  cleanups.push(() => s.close());
  const [admin, tenant, elsewhere] = [await receiver(), await receiver(), await receiver()];
  const events = ['queue.paused', 'queue.resumed'];
  const subscribe = async (r: Receiver, body: Record<string, unknown>, key?: string) => {
    const created = await s.api('/api/v1/webhooks', {
      method: 'POST',
      key,
      body: { url: r.url, events, ...body },
    });
    expect(created.status).toBe(201);
    r.secrets.push(created.body.secret);
  };
  await subscribe(admin, { queues: ['demo'] });
  await subscribe(tenant, {}, await tenantKey(s.api, 'alice'));
  await subscribe(elsewhere, { queues: ['other'] });

  expect((await s.api('/api/v1/queues/demo/pause', { method: 'POST' })).status).toBe(200);
  expect((await s.api('/api/v1/queues/demo/resume', { method: 'POST' })).status).toBe(200);
  await waitFor(() => admin.received.filter((r) => r.verified).length === 2, { timeoutMs: 15_000 });
  expect(admin.received.map((r) => r.verified)).toEqual([
    expect.objectContaining({ type: 'queue.paused', data: { queue: 'demo', paused: true } }),
    expect.objectContaining({ type: 'queue.resumed', data: { queue: 'demo', paused: false } }),
  ]);
  // Give any stray delivery time to arrive before saying there is none.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(tenant.received).toEqual([]);
  expect(elsewhere.received).toEqual([]);
}, 60_000);
