/**
 * What the dashboard tests share: a whole server on a real port (startServer, with the
 * demo queue and the built dashboard), Debian's Chromium driven by playwright-core,
 * and screenshots (docs/screenshots/ for the README when UPDATE_SCREENSHOTS=1).
 *
 * Chromium must be at /usr/bin/chromium (`apt-get install chromium`; npm test's preflight installs
 * it): a missing browser fails the tests, it never skips them.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { JobgateClient } from '../../src/client/index.js';
import { validateConfig } from '../../src/config/load-config.js';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
/**
 * The README's pictures are refreshed on request (`UPDATE_SCREENSHOTS=1 npm test`); a
 * plain run still takes every screenshot, into a scratch folder, so a test run leaves
 * the checkout as it found it.
 */
export const screenshotsDir =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(root, 'docs', 'screenshots')
    : join(tmpdir(), 'jobgate-screenshots');
export const dashboardDir = join(root, 'dist', 'dashboard');
export const chromiumPath = '/usr/bin/chromium';
export const fixtureHandlers = join(here, '..', 'fixtures', 'handlers.mjs');
export const adminKey = 'jg-dashboard-test-admin-key';
/** Browser tests on a loaded 2-core machine: Chromium and pool workers start slowly. */
export const testTimeoutMs = 90_000;
export const hookTimeoutMs = 90_000;

export function requireBuild(): void {
  if (!existsSync(join(dashboardDir, 'index.html')))
    throw new Error('dist/dashboard/index.html is missing: run `npm run build` before the dashboard tests');
}

export interface DashboardServer {
  server: RunningServer;
  url: string;
  admin: JobgateClient;
  createKey(role: 'tenant' | 'admin' | 'worker', owner: string, tier?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startDashboardServer(
  options: { rawConfig?: Record<string, unknown> } = {},
): Promise<DashboardServer> {
  const dir = mkdtempSync(join(tmpdir(), 'jobgate-dashboard-'));
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    db: join(dir, 'jobgate.db'),
    demo: true,
    adminKey,
    config: validateConfig(options.rawConfig ?? {}),
    engine: { leaseMs: 2_000, intervals: { promoteMs: 20, reapMs: 100, purgeMs: 60_000 } },
    graceMs: 500,
    logger: false,
    workerPlane: {
      registry: { recheckMs: 200, refreshMs: 100 },
      pools: { tickMs: 100, graceMs: 1_000, crashBackoff: { baseMs: 200, maxMs: 1_000 } },
    },
  });
  const admin = new JobgateClient({ url: server.url, key: adminKey });
  return {
    server,
    url: server.url,
    admin,
    async createKey(role, owner, tier = 'pro') {
      return (await admin.createKey({ owner, role, tier })).key;
    },
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile; 1280×800 unless told otherwise. */
export async function launchBrowser(
  viewport: { width: number; height: number } = { width: 1280, height: 800 },
  colorScheme: 'light' | 'dark' = 'light',
): Promise<Browser> {
  if (!existsSync(chromiumPath))
    throw new Error(`Chromium is missing at ${chromiumPath}: apt-get install -y chromium (.ci/run does it)`);
  const profile = mkdtempSync(join(tmpdir(), 'jobgate-chromium-'));
  // launchPersistentContext is how playwright takes a user data dir (it refuses a --user-data-dir arg).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport,
    colorScheme,
    timeout: 30_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the dashboard and signs in with `key` through the form, as a person would. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotsDir, { recursive: true });
  await page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: false });
}
