/**
 * browser-test: a scripted test run in Debian Chromium through playwright-core against
 * a page (by default the Jobgate dashboard itself): each step passes or fails, and the
 * run stores a screenshot and a JSON report as artifacts. A cancel or timeout kills the
 * browser (SIGKILL), not just the bookkeeping.
 * Payload: {url?, expectTitle?: "Jobgate", selector?: "body", width?: 1280, height?: 800}.
 * Result: {passed, steps: [{name, ok, ms, error?}], artifacts}.
 */
import { chromium } from 'playwright-core';

export const browserBinary = '/usr/bin/chromium';

/** @param {{ baseUrl?: string }} [options] the page tested when a payload names none */
export function browserTest(options = {}) {
  return async (job, ctx) => {
    const p = job.payload ?? {};
    const url = String(p.url ?? options.baseUrl ?? process.env.JOBGATE_URL ?? 'http://127.0.0.1:8080/');
    const expectTitle = String(p.expectTitle ?? 'Jobgate');
    const selector = String(p.selector ?? 'body');
    const server = await chromium.launchServer({
      executablePath: browserBinary,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    const pid = server.process().pid;
    const kill = () => server.process().kill('SIGKILL');
    ctx.signal.addEventListener('abort', kill, { once: true });
    const steps = [];
    let screenshot = null;
    try {
      const browser = await chromium.connect(server.wsEndpoint());
      const page = await browser.newPage({
        viewport: { width: Number(p.width) || 1280, height: Number(p.height) || 800 },
      });
      const step = async (name, percent, body) => {
        if (ctx.signal.aborted) throw new Error(`aborted: ${String(ctx.signal.reason)}`);
        await ctx.progress(percent, name, `chromium pid ${pid}`);
        const started = Date.now();
        try {
          await body();
          steps.push({ name, ok: true, ms: Date.now() - started });
        } catch (error) {
          if (ctx.signal.aborted) throw error;
          steps.push({
            name,
            ok: false,
            ms: Date.now() - started,
            error: String(error?.message ?? error).slice(0, 500),
          });
        }
      };
      await step('open', 10, async () => {
        const answer = await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
        if (!answer?.ok()) throw new Error(`${url} answered ${answer?.status()}`);
      });
      await step('title', 40, async () => {
        const title = await page.title();
        if (!title.includes(expectTitle)) throw new Error(`title "${title}" lacks "${expectTitle}"`);
      });
      await step('visible', 60, async () => {
        await page.locator(selector).first().waitFor({ state: 'visible', timeout: 5_000 });
      });
      await step('screenshot', 80, async () => {
        screenshot = await page.screenshot({ fullPage: false, type: 'png' });
      });
      await browser.close();
    } finally {
      ctx.signal.removeEventListener('abort', kill);
      await server.close().catch(kill);
    }
    const passed = steps.every((s) => s.ok);
    const report = { url, passed, steps, finishedAt: new Date().toISOString() };
    await ctx.progress(90, 'store');
    if (screenshot) await ctx.artifacts.put('screenshot.png', screenshot, { contentType: 'image/png' });
    await ctx.artifacts.put('report.json', JSON.stringify(report, null, 2), {
      contentType: 'application/json',
    });
    await ctx.progress(100, passed ? 'passed' : 'failed');
    return { passed, steps, artifacts: screenshot ? ['report.json', 'screenshot.png'] : ['report.json'] };
  };
}
