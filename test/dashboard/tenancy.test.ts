/**
 * Tenancy in the browser: a tenant key sees its own jobs and none of another
 * tenant's (not in the table, not by id, not on a queue page), and no admin pages.
 * The admin's Tenants and Keys pages: a key created (shown once, copyable) and
 * revoked. Saves the tenants, keys, dark and phone screenshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobgateClient } from '../../src/client/index.js';
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
let acme: JobgateClient;
let globex: JobgateClient;
const acmeIds: string[] = [];
const globexIds: string[] = [];

beforeAll(async () => {
  requireBuild();
  server = await startDashboardServer();
  const acmeKey = await server.createKey('tenant', 'acme', 'pro');
  const globexKey = await server.createKey('tenant', 'globex', 'free');
  acme = new JobgateClient({ url: server.url, key: acmeKey });
  globex = new JobgateClient({ url: server.url, key: globexKey });
  for (let i = 0; i < 3; i++)
    acmeIds.push((await acme.submit({ queue: 'demo', type: 'acme-job', payload: { ms: 50 } })).id);
  for (let i = 0; i < 4; i++)
    globexIds.push((await globex.submit({ queue: 'demo', type: 'globex-job', payload: { ms: 20_000 } })).id);
  for (const id of acmeIds) await acme.wait(id, { timeoutMs: 15_000 });
  browser = await launchBrowser();
  await signIn(browser.page, server.url, acmeKey);
}, hookTimeoutMs);

afterAll(async () => {
  await browser?.close();
  await server?.close();
}, hookTimeoutMs);

describe('dashboard: tenancy', { timeout: testTimeoutMs }, () => {
  it('shows a tenant its own jobs and none of another tenant’s', async () => {
    const { page } = browser;
    expect(await page.getByRole('link', { name: 'Tenants' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'Keys' }).count()).toBe(0);

    await page.goto(`${server.url}/#/jobs`);
    const rows = page.locator('tbody tr[data-job-id]');
    await expect.poll(() => rows.count()).toBe(3);
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-job-id')));
    expect(shown.sort()).toEqual([...acmeIds].sort());
    expect(await page.getByText('globex-job').count()).toBe(0);
    // No owner column or filter for a tenant.
    expect(await page.getByLabel('Owner').count()).toBe(0);

    // By id: another tenant's job is "not found", on the search and on its page.
    await page.getByLabel('Job id').fill(globexIds[0]!);
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('No job');
    await page.getByLabel('Job id').fill(globexIds[0]!.slice(0, 8));
    await page.getByRole('button', { name: 'Find' }).click();
    await expect
      .poll(() => page.getByRole('alert').textContent())
      .toContain(`No job ${globexIds[0]!.slice(0, 8)}`);
    // Its own job by the short id the list shows: the search opens its page.
    await page.getByLabel('Job id').fill(acmeIds[0]!.slice(0, 8));
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => page.url()).toContain(`#/jobs/${acmeIds[0]}`);
    await page.goto(`${server.url}/#/jobs/${globexIds[0]}`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('JOBGATE_ERR_JOB_NOT_FOUND');
    expect(await page.getByText('globex-job').count()).toBe(0);

    // The queue page lists running jobs: globex's are running, acme sees none of them.
    await page.goto(`${server.url}/#/queues/demo`);
    await page.getByRole('heading', { name: /Running jobs/ }).waitFor();
    await expect.poll(() => page.getByText('Nothing is running.').count()).toBe(1);
    for (const id of globexIds) expect(await page.locator(`a[href="#/jobs/${id}"]`).count()).toBe(0);
    // And no operator actions.
    expect(await page.getByRole('button', { name: 'Warm up' }).count()).toBe(0);

    // The overview shows the tenant's usage.
    await page.goto(`${server.url}/#/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Your usage today' }).count()).toBe(1);
    await expect.poll(() => page.locator('.usage-card').textContent()).toContain('3 of');
  });

  it('shows the admin every tenant’s counts, usage and tier, and manages keys', async () => {
    const { page } = browser;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, server.url, adminKey);

    await page.goto(`${server.url}/#/tenants`);
    const globexRow = page.locator('tr[data-owner="globex"]');
    await globexRow.waitFor();
    const cells = await globexRow.locator('td').allTextContents();
    expect(cells[0]).toBe('free');
    // 4 submitted: 4 used today; running + queued = 4.
    expect(Number(cells[1]) + Number(cells[2])).toBe(4);
    expect(cells[4]).toContain('4 /');
    await expect.poll(() => page.locator('tr[data-owner="acme"] td').first().textContent()).toBe('pro');
    await screenshot(page, 'tenants');

    await page.goto(`${server.url}/#/keys`);
    await page.getByLabel('Owner').fill('initech');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = page.getByTestId('new-key');
    await secret.waitFor();
    const key = (await secret.textContent()) ?? '';
    expect(key).toMatch(/^jg_[a-f0-9]{12}_/);
    await expect.poll(() => page.getByRole('button', { name: 'Copy key' }).count()).toBe(1);
    await page.getByRole('cell', { name: 'initech', exact: true }).waitFor();
    await screenshot(page, 'keys');
    // The new key works, and is shown only once: a reload shows its id, never the secret.
    expect((await new JobgateClient({ url: server.url, key }).usage()).jobsUsed).toBe(0);
    await page.reload();
    await page.getByRole('cell', { name: 'initech', exact: true }).waitFor();
    expect(await page.getByText(key).count()).toBe(0);

    await page
      .getByRole('row', { name: /initech/ })
      .getByRole('button', { name: /Revoke/ })
      .click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Revoked' }).count()).toBe(1);
    await expect
      .poll(() =>
        new JobgateClient({ url: server.url, key }).usage().then(
          () => 'works',
          (error: { status?: number }) => String(error.status),
        ),
      )
      .toBe('401');
  });

  it('switches to dark and fits a phone', async () => {
    const { page } = browser;
    await page.goto(`${server.url}/#/`);
    await page.getByRole('article', { name: 'demo' }).waitFor();
    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.locator('.chart-box canvas').first().waitFor();
    await screenshot(page, 'overview-dark');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/#/jobs`);
    await page.locator('tbody tr[data-job-id]').first().waitFor();
    // Nothing but the table scrolls sideways.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await screenshot(page, 'jobs-phone');
    // Keyboard: on a fresh load the first Tab reaches the skip link, the next ones the navigation.
    await page.reload();
    await page.locator('tbody tr[data-job-id]').first().waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Overview');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Overview', level: 1 }).waitFor();
  });
});
