/**
 * Acting from the dashboard: cancel a long job from its page, and warm up a cold
 * pooled queue (`gpu`, pool min 0) from its queue page and watch the worker appear.
 * The pool runs real `jobgate worker` children from dist/ (`npm run build` first).
 * Saves the queue page screenshot.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import {
  adminKey,
  type Browser,
  type DashboardServer,
  fixtureHandlers,
  hookTimeoutMs,
  launchBrowser,
  requireBuild,
  root,
  screenshot,
  signIn,
  startDashboardServer,
  testTimeoutMs,
} from './harness.js';

let server: DashboardServer;
let browser: Browser;

beforeAll(async () => {
  requireBuild();
  if (!existsSync(join(root, 'dist', 'cli', 'main.js')))
    throw new Error('dist/cli/main.js is missing: run `npm run build` before the dashboard tests');
  server = await startDashboardServer({
    rawConfig: {
      queues: { gpu: { pool: { min: 0, max: 2, idleTimeoutSec: 60, handlers: fixtureHandlers } } },
    },
  });
  browser = await launchBrowser();
  await signIn(browser.page, server.url, adminKey);
}, hookTimeoutMs);

afterAll(async () => {
  await browser?.close();
  await server?.close();
}, hookTimeoutMs);

describe('dashboard: operator actions', { timeout: testTimeoutMs }, () => {
  it('cancels a long running job from its page', async () => {
    const { page } = browser;
    const job = await server.admin.submit({ queue: 'demo', payload: { ms: 60_000, stages: ['one', 'two'] } });
    await waitFor(async () => (await server.admin.get(job.id)).status === 'running', {
      message: 'job running',
    });
    await page.goto(`${server.url}/#/jobs/${job.id}`);
    await expect.poll(() => page.locator('.page-head .badge').textContent()).toBe('running');
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await expect
      .poll(() => page.locator('.page-head .badge').textContent(), { timeout: 10_000 })
      .toBe('cancelled');
    expect((await server.admin.get(job.id)).status).toBe('cancelled');
    await expect.poll(() => page.getByRole('button', { name: 'Retry job' }).count()).toBe(1);
  });

  it('warms up a cold pooled queue and shows the worker it started', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/queues/gpu`);
    await page.getByRole('heading', { name: 'gpu', level: 1 }).waitFor();
    await expect.poll(() => page.getByText('No registered worker').count()).toBe(1);
    await page.getByRole('button', { name: 'Warm up' }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Warm up:' }).textContent())
      .toMatch(/started|starting/);

    // The worker appears in the table (a registered pool worker), then becomes ready or idle.
    const rows = page.locator('section[aria-labelledby="workers-title"] tbody tr');
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(1);
    await expect
      .poll(() => rows.first().locator('.badge').textContent(), { timeout: 20_000 })
      .toMatch(/ready|idle/);
    // A second warm-up starts nothing more.
    await page.getByRole('button', { name: 'Warm up' }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Warm up:' }).textContent())
      .toContain('already ready');
    expect(await rows.count()).toBe(1);

    // Min/max live, and a running job with its stage on the queue page.
    await page.getByLabel('Max workers').fill('3');
    await page.getByRole('button', { name: 'Save pool size' }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Pool of gpu' }).textContent())
      .toContain('max 3');
    expect((await server.admin.pool('gpu')).max).toBe(3);
    await server.admin.submit({ queue: 'gpu', payload: { ms: 8_000 } });
    await page.locator('.running-job .progress-stage', { hasText: 'rendering' }).waitFor({ timeout: 20_000 });
    await expect
      .poll(() => rows.first().locator('.badge').textContent(), { timeout: 10_000 })
      .toBe('running');
    await screenshot(page, 'queue');
  });

  it('pauses, resumes and clears a queue, naming the count in the confirmation', async () => {
    const { page } = browser;
    await server.admin.submitBatch(Array.from({ length: 7 }, () => ({ queue: 'demo', delayMs: 3_600_000 })));
    await page.goto(`${server.url}/#/queues/demo`);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.locator('.page-head .badge').textContent()).toBe('paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => page.locator('.page-head .badge').textContent()).not.toBe('paused');

    await page.getByRole('button', { name: 'Clear waiting jobs' }).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.textContent()).toContain('7 waiting jobs');
    await dialog.getByRole('button', { name: 'Delete 7 jobs' }).click();
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'Cleared' }).textContent())
      .toContain('Cleared 7');
    expect((await server.admin.queueStatus('demo')).jobs?.scheduled).toBe(0);
  });

  it('offers no Warm up on a busy queue, and offers it again once a slot is free', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/queues/demo`);
    await page.getByRole('heading', { name: 'demo', level: 1 }).waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Warm up' }).count()).toBe(1);
    // The demo queue runs 4 at once: 4 long jobs make it busy.
    const jobs = [];
    for (let i = 0; i < 4; i++)
      jobs.push(await server.admin.submit({ queue: 'demo', payload: { ms: 60_000 } }));
    await expect
      .poll(() => page.locator('.page-head .badge').textContent(), { timeout: 10_000 })
      .toBe('busy');
    expect(await page.getByRole('button', { name: 'Warm up' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(1);
    for (const job of jobs) await server.admin.cancel(job.id);
    await expect
      .poll(() => page.locator('.page-head .badge').textContent(), { timeout: 10_000 })
      .not.toBe('busy');
    await expect.poll(() => page.getByRole('button', { name: 'Warm up' }).count()).toBe(1);
    // `demo` has no pool: the page's polling of its pool is no error answer in /metrics.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(
      'jobgate_http_request_duration_seconds_count{method="GET",route="/api/v1/pools"',
    );
    expect(metrics).not.toContain('JOBGATE_ERR_UNPROCESSABLE');
  });
});
