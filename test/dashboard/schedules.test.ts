/**
 * The Schedules page: a config-file schedule with its next runs; Pause and Resume change
 * it on the server; Run now makes a job that shows as the last run and completes.
 * The queue page shows the queue's policy. Saves the schedules screenshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
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

beforeAll(async () => {
  requireBuild();
  server = await startDashboardServer({
    rawConfig: {
      schedules: {
        'nightly-report': {
          cron: '30 2 * * *',
          timezone: 'Europe/Berlin',
          queue: 'demo',
          payload: { ms: 10 },
          owner: 'ops',
          tier: 'pro',
        },
      },
    },
  });
  browser = await launchBrowser();
  await signIn(browser.page, server.url, adminKey);
}, hookTimeoutMs);

afterAll(async () => {
  await browser?.close();
  await server?.close();
}, hookTimeoutMs);

describe('dashboard: schedules', { timeout: testTimeoutMs }, () => {
  it('lists a schedule with its next runs, pauses, resumes and runs it now', async () => {
    const { page } = browser;
    await page.getByRole('link', { name: 'Schedules' }).click();
    const row = page.locator('tr[data-schedule="nightly-report"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('Europe/Berlin');
    expect(await row.getByRole('list', { name: 'Next runs of nightly-report' }).locator('li').count()).toBe(
      3,
    );

    await row.getByRole('button', { name: 'Pause nightly-report' }).click();
    await page.locator('tr[data-schedule="nightly-report"][data-enabled="false"]').waitFor();
    expect((await server.admin.schedule('nightly-report')).enabled).toBe(false);
    await row.getByRole('button', { name: 'Resume nightly-report' }).click();
    await page.locator('tr[data-schedule="nightly-report"][data-enabled="true"]').waitFor();
    expect((await server.admin.schedule('nightly-report')).enabled).toBe(true);

    await row.getByRole('button', { name: 'Run nightly-report now' }).click();
    const lastRun = await waitFor(async () => (await server.admin.schedule('nightly-report')).lastRun, {
      message: 'the run-now job',
    });
    await page.locator(`td[data-last-run="${lastRun.jobId}"]`).waitFor();
    await waitFor(async () => (await server.admin.get(lastRun.jobId)).status === 'completed', {
      timeoutMs: 15_000,
      message: 'the run-now job completed',
    });
    await page.reload();
    await page.locator(`td[data-last-run="${lastRun.jobId}"]`).filter({ hasText: 'completed' }).waitFor();
    await screenshot(page, 'schedules');
  });

  it('shows the queue’s policy on its queue page', async () => {
    const { page } = browser;
    await server.admin.updateQueuePolicy('demo', { timeoutMs: 300_000, maxAttempts: 4 });
    await page.goto(`${server.url}/#/queues/demo`);
    const policy = page.getByTestId('queue-policy');
    await expect.poll(() => policy.textContent()).toContain('4 attempts');
    expect(await policy.textContent()).toContain('set here: timeoutMs, maxAttempts');
  });
});
