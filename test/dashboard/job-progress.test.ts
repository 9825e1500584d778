/**
 * Signing in, and a job followed live: a `demo` job with stages is submitted through
 * the API, and its page shows the progress bar moving stage by stage to completed.
 * Saves the sign-in, overview, jobs and job screenshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  server = await startDashboardServer();
  browser = await launchBrowser();
}, hookTimeoutMs);

afterAll(async () => {
  await browser?.close();
  await server?.close();
}, hookTimeoutMs);

describe('dashboard: sign in and follow a job', { timeout: testTimeoutMs }, () => {
  it('refuses a bad key, then signs in with the admin key and keeps it for the tab only', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/`);
    await screenshot(page, 'sign-in');
    await page.getByLabel('API key').fill('jg_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');

    await signIn(page, server.url, adminKey);
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem('jobgate.apiKey'),
      local: Object.keys(localStorage).filter((key) => key.includes('apiKey')),
    }));
    expect(stored.session).toBe('jg-dashboard-test-admin-key');
    expect(stored.local).toEqual([]);
    // A reload keeps the session: no second sign-in.
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await expect.poll(() => page.getByRole('link', { name: 'Keys' }).count()).toBe(1);
  });

  it('shows a demo job’s progress bar moving through its stages to completed', async () => {
    const { page } = browser;
    // Warm the estimator and the charts with a few finished jobs first.
    const warm = await Promise.all(
      [0, 1, 2].map(() => server.admin.submit({ queue: 'demo', payload: { ms: 100, stages: ['a'] } })),
    );
    for (const job of warm) await server.admin.wait(job.id, { timeoutMs: 10_000 });

    const job = await server.admin.submit({
      queue: 'demo',
      type: 'render',
      payload: { ms: 3_000, stages: ['load', 'render', 'encode'] },
    });
    await page.goto(`${server.url}/#/jobs/${job.id}`);
    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    await bar.waitFor();

    const seen = new Set<string>();
    const percents: number[] = [];
    const deadline = Date.now() + 15_000;
    let shot = false;
    for (;;) {
      const value = Number(await bar.getAttribute('aria-valuenow'));
      const text = (await bar.getAttribute('aria-valuetext')) ?? '';
      percents.push(value);
      for (const stage of ['load', 'render', 'encode']) if (text.includes(stage)) seen.add(stage);
      if (!shot && text.includes('render')) {
        await screenshot(page, 'job');
        shot = true;
      }
      const status = await page.locator('.page-head .badge').textContent();
      if (status === 'completed' && value === 100) break;
      if (Date.now() > deadline) throw new Error(`job page stuck at ${value}% (${status}); saw ${[...seen]}`);
      await page.waitForTimeout(100);
    }
    expect([...seen].sort()).toEqual(['encode', 'load', 'render']);
    // The bar rose: never went down, and was seen part way.
    expect(percents.some((p) => p > 0 && p < 100)).toBe(true);
    for (let i = 1; i < percents.length; i++) expect(percents[i]!).toBeGreaterThanOrEqual(percents[i - 1]!);
    await expect.poll(() => page.locator('pre.code').last().textContent()).toContain('"ok": true');
  });

  it('lists jobs, filters them and pages with the cursor; the overview shows the queue card', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/`);
    const card = page.getByRole('article', { name: 'demo' });
    await card.waitFor();
    await expect.poll(() => card.locator('.badge').first().textContent()).toMatch(/ok|busy|cold|paused/);
    await card.locator('.chart-box canvas').first().waitFor();
    await screenshot(page, 'overview');

    await page.goto(`${server.url}/#/jobs?queue=demo&status=completed`);
    const rows = page.locator('tbody tr[data-job-id]');
    await expect.poll(() => rows.count()).toBe(4);
    expect(await page.locator('tbody tr[data-status="completed"]').count()).toBe(4);
    await screenshot(page, 'jobs');

    // 60 more jobs: more than a page (50); Older follows the cursor.
    await server.admin.submitBatch(Array.from({ length: 60 }, () => ({ queue: 'demo', delayMs: 3_600_000 })));
    await page.goto(`${server.url}/#/jobs?status=scheduled`);
    await expect.poll(() => rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Older' }).click();
    await expect.poll(() => rows.count()).toBe(10);
    await page.getByRole('button', { name: 'Newer' }).click();
    await expect.poll(() => rows.count()).toBe(50);
  });
});
