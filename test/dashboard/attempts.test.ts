/**
 * A job's attempts on its page: a demo job failing twice then succeeding shows three
 * attempts, the first two with their errors, each with its duration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminKey,
  type Browser,
  type DashboardServer,
  hookTimeoutMs,
  launchBrowser,
  requireBuild,
  signIn,
  startDashboardServer,
  testTimeoutMs,
} from './harness.js';

let server: DashboardServer;
let browser: Browser;

beforeAll(async () => {
  requireBuild();
  server = await startDashboardServer({
    rawConfig: { queues: { demo: { backoff: { type: 'fixed', baseMs: 50 } } } },
  });
  browser = await launchBrowser();
}, hookTimeoutMs);

afterAll(async () => {
  await browser?.close();
  await server?.close();
}, hookTimeoutMs);

describe('dashboard: attempt history', { timeout: testTimeoutMs }, () => {
  it('shows three attempts of a job that failed twice, then completed', async () => {
    const { page } = browser;
    await signIn(page, server.url, adminKey);
    const job = await server.admin.submit({
      queue: 'demo',
      payload: { ms: 20, failTimes: 2 },
      maxAttempts: 3,
    });
    await page.goto(`${server.url}/#/jobs/${job.id}`);
    const rows = page.getByRole('table', { name: 'Attempts' }).locator('tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3);
    const texts = await rows.allTextContents();
    expect(texts[0]).toContain('failed');
    expect(texts[0]).toContain('Demo failure 1 of 2');
    expect(texts[1]).toContain('Demo failure 2 of 2');
    expect(texts[2]).toContain('completed');
    for (const text of texts) expect(text).toMatch(/\d+ ms/);
  });
});
