/**
 * The Webhooks page: subscriptions, a subscription's recent deliveries with their
 * outcomes, and the Redeliver button sending one again (a real local receiver counts it).
 * Saves the webhooks screenshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';
import {
  adminKey,
  type Browser,
  type DashboardServer,
  hookTimeoutMs,
  launchBrowser,
  requireBuild,
  screenshot,
  signIn,
  startDashboardServer,
  testTimeoutMs,
} from './harness.js';

let server: DashboardServer;
let browser: Browser;
let receiver: Receiver;
let subscriptionId = '';
let jobId = '';

beforeAll(async () => {
  requireBuild();
  server = await startDashboardServer({ rawConfig: { webhooks: { allowPrivateTargets: true } } });
  receiver = await startReceiver();
  const created = await server.admin.createWebhook({
    url: receiver.url,
    description: 'render notifications',
  });
  receiver.secrets.push(created.secret);
  subscriptionId = created.subscription.id;
  jobId = (await server.admin.submit({ queue: 'demo', payload: { ms: 10 } })).id;
  await waitFor(() => receiver.accepted.size >= 1, { timeoutMs: 15_000, message: 'the first delivery' });
  browser = await launchBrowser();
  await signIn(browser.page, server.url, adminKey);
}, hookTimeoutMs);

afterAll(async () => {
  await browser?.close();
  await receiver?.close();
  await server?.close();
}, hookTimeoutMs);

describe('dashboard: webhooks', { timeout: testTimeoutMs }, () => {
  it('lists subscriptions and deliveries, and redelivers one with its button', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.locator(`tr[data-webhook-id="${subscriptionId}"]`).waitFor();
    expect(await page.locator(`tr[data-webhook-id="${subscriptionId}"]`).textContent()).toContain('enabled');
    const row = page.locator('tr[data-delivery-id][data-status="delivered"]').first();
    await row.waitFor();
    expect(await row.textContent()).toContain('job.completed');
    expect(await row.textContent()).toContain('200');
    const deliveryId = (await row.getAttribute('data-delivery-id'))!;
    await screenshot(page, 'webhooks');

    await row.getByRole('button', { name: 'Redeliver' }).click();
    await page.getByRole('status').filter({ hasText: 'Redelivering' }).waitFor();
    await waitFor(() => receiver.received.filter((r) => r.id === deliveryId && r.verified).length >= 2, {
      timeoutMs: 15_000,
      message: 'the redelivery at the receiver',
    });
    expect(receiver.received.find((r) => r.id === deliveryId)?.verified?.data.id).toBe(jobId);
  });
});
