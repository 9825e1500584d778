/**
 * A job's artifacts on its page: an image shown, an audio and a video player that load
 * their media, a JSON report pretty-printed, sizes and download links; the jobs list
 * counts each job's files. The media are real files made by ImageMagick, espeak-ng and
 * ffmpeg, loaded by Chromium through their signed links.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
const dir = mkdtempSync(join(tmpdir(), 'jobgate-dash-art-'));

beforeAll(async () => {
  requireBuild();
  execFileSync('/usr/bin/convert', ['-size', '64x48', 'gradient:blue-white', join(dir, 'a.png')]);
  execFileSync('espeak-ng', ['-w', join(dir, 'a.wav'), 'hello']);
  execFileSync('ffmpeg', [
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=160x120:rate=10',
    '-frames:v',
    '10',
    '-pix_fmt',
    'yuv420p',
    '-y',
    join(dir, 'a.mp4'),
  ]);
  server = await startDashboardServer();
  server.server.workers.register('files', async (_job, ctx) => {
    await ctx.artifacts.put('picture.png', readFileSync(join(dir, 'a.png')), { contentType: 'image/png' });
    await ctx.artifacts.put('voice.wav', readFileSync(join(dir, 'a.wav')), { contentType: 'audio/wav' });
    await ctx.artifacts.put('clip.mp4', readFileSync(join(dir, 'a.mp4')), { contentType: 'video/mp4' });
    await ctx.artifacts.put('report.json', JSON.stringify({ passed: true, steps: 3 }), {
      contentType: 'application/json',
    });
    return { files: 4 };
  });
  browser = await launchBrowser();
}, hookTimeoutMs);

afterAll(async () => {
  await browser?.close();
  await server?.close();
}, hookTimeoutMs);

describe('dashboard: artifacts', { timeout: testTimeoutMs }, () => {
  it('previews each artifact on the job page and counts them in the jobs list', async () => {
    const job = await server.admin.submit({ queue: 'files' });
    expect((await server.admin.wait(job.id, { timeoutMs: 15_000 })).status).toBe('completed');
    const { page } = browser;
    await signIn(page, server.url, adminKey);
    await page.goto(`${server.url}/#/jobs/${job.id}`);
    const list = page.getByRole('list', { name: 'Artifacts' });
    await list.waitFor();
    await expect.poll(() => list.getByRole('listitem').count()).toBe(4);

    const image = list.getByRole('img', { name: 'picture.png' });
    await expect
      .poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBe(64);
    // The players loaded their media's metadata: a real duration, read by Chromium.
    const duration = (selector: string) =>
      page
        .locator(selector)
        .evaluate((media: HTMLMediaElement) => (media.readyState >= 1 ? media.duration : 0));
    await expect.poll(() => duration('audio')).toBeGreaterThan(0.2);
    await expect.poll(() => duration('video')).toBeCloseTo(1, 0);
    await expect.poll(() => list.locator('pre').textContent()).toContain('"passed": true');
    await expect.poll(() => list.textContent()).toContain('image/png · ');
    const download = list.getByRole('link', { name: 'Download' }).first();
    expect(await download.getAttribute('href')).toMatch(/\/artifacts\/clip\.mp4\?exp=\d+&sig=/);
    await screenshot(page, 'job-artifacts');

    await page.goto(`${server.url}/#/jobs`);
    const row = page.getByRole('row').filter({ hasText: job.id.slice(0, 8) });
    await expect.poll(() => row.getByRole('cell', { name: 'Artifacts' }).textContent()).toBe('4');
  });
});
