/**
 * The real workloads end to end over HTTP, as `serve --demo` registers them: submit →
 * progress → completed → the artifact downloaded through its signed link (no key) and
 * checked with the real tools (a WAV header and duration, a PNG ImageMagick decodes, an
 * MP4 ffprobe reads, a report whose screenshot is a PNG). `image` runs in a pool of
 * worker processes. Cancelling a running video kills its ffmpeg within a second.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { type LiveServer, liveAdminKey, startLiveServer } from '../workers/live-server.js';

interface JobView {
  id: string;
  status: string;
  result: Record<string, unknown> | null;
  error: { message: string } | null;
  progress: { percent: number; stage: string | null; message: string | null };
  workerId: string | null;
}

describe('real workloads', () => {
  let live: LiveServer;
  const scratch = mkdtempSync(join(tmpdir(), 'jobgate-workloads-'));
  const headers = { authorization: `Bearer ${liveAdminKey}`, 'content-type': 'application/json' };
  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(`${live.url}/api/v1${path}`, { ...init, headers });
    return (await response.json()) as T;
  };
  const submit = (queue: string, payload: unknown) =>
    api<JobView>('/jobs', { method: 'POST', body: JSON.stringify({ queue, payload, maxAttempts: 1 }) });
  const job = (id: string) => api<JobView>(`/jobs/${id}`);
  const finished = (id: string, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const view = await job(id);
        return ['completed', 'failed', 'cancelled'].includes(view.status) ? view : null;
      },
      { timeoutMs, message: `job ${id} to finish` },
    );
  /** The artifact's bytes, fetched through its signed link without an API key. */
  const download = async (id: string, name: string): Promise<Buffer> => {
    const { items } = await api<{ items: Array<{ name: string; url: string; contentType: string }> }>(
      `/jobs/${id}/artifacts`,
    );
    const item = items.find((a) => a.name === name);
    expect(item, `artifact ${name} of ${id}`).toBeDefined();
    const response = await fetch(item!.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(item!.contentType);
    return Buffer.from(await response.arrayBuffer());
  };
  const save = (name: string, data: Buffer) => {
    const path = join(scratch, name);
    writeFileSync(path, data);
    return path;
  };
  const completed = async (id: string, timeoutMs?: number) => {
    const view = await finished(id, timeoutMs);
    expect(view.error?.message ?? null).toBeNull();
    expect(view.status).toBe('completed');
    return view;
  };

  beforeAll(async () => {
    live = await startLiveServer({ demo: true, workloads: true, artifacts: { dataDir: scratch } });
  }, 60_000);
  afterAll(async () => {
    await live?.close();
  });

  it('speech: text to a WAV with a real duration', async () => {
    const { id } = await submit('speech', { text: 'Jobgate makes speech from text.' });
    const view = await completed(id);
    expect(view.result?.durationSec).toBeGreaterThan(0.5);
    const wav = await download(id, 'speech.wav');
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 8, 12)).toBe('WAVE');
    const byteRate = wav.readUInt32LE(28);
    expect((wav.length - 44) / byteRate).toBeCloseTo(view.result?.durationSec as number, 1);
    const soxSeconds = Number(execFileSync('soxi', ['-D', save('speech.wav', wav)], { encoding: 'utf8' }));
    expect(soxSeconds).toBeGreaterThan(0.5);
  }, 60_000);

  it('image: a PNG rendered by ImageMagick in a pooled worker process', async () => {
    const { id } = await submit('image', { prompt: 'a lighthouse at dusk', width: 320, height: 200 });
    await completed(id, 90_000);
    const png = await download(id, 'image.png');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const size = execFileSync('/usr/bin/identify', ['-format', '%w %h', save('image.png', png)], {
      encoding: 'utf8',
    });
    expect(size).toBe('320 200');
    const workers = await api<{ items: Array<{ id: string; labels: Record<string, string> }> }>(
      '/workers?queue=image',
    );
    // Only a pool worker serves `image` (no in-process handler is registered for it).
    expect(workers.items.length).toBeGreaterThan(0);
    for (const worker of workers.items) expect(worker.id).toMatch(/^pw_/);
  }, 120_000);

  it('video: frames to an MP4 ffprobe reads, with progress from ffmpeg', async () => {
    const { id } = await submit('video', { frames: 48, fps: 24, width: 320, height: 240 });
    const view = await completed(id);
    expect(view.progress.percent).toBe(100);
    const mp4 = save('video.mp4', await download(id, 'video.mp4'));
    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', mp4], {
        encoding: 'utf8',
      }),
    ) as {
      streams: Array<{ codec_name: string; nb_frames: string; width: number }>;
      format: { duration: string };
    };
    expect(probe.streams[0]).toMatchObject({ codec_name: 'h264', nb_frames: '48', width: 320 });
    expect(Number(probe.format.duration)).toBeCloseTo(2, 1);
  }, 60_000);

  it('video: a cancel kills the running ffmpeg within a second', async () => {
    const { id } = await submit('video', { frames: 1_000_000, width: 320, height: 240 });
    const running = await waitFor(
      async () => {
        const view = await job(id);
        const pid = /ffmpeg pid (\d+)/.exec(view.progress.message ?? '')?.[1];
        return view.status === 'running' && pid ? Number(pid) : null;
      },
      { timeoutMs: 30_000, message: 'ffmpeg running' },
    );
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive(running)).toBe(true);
    await api(`/jobs/${id}/cancel`, { method: 'POST' });
    const cancelledAt = Date.now();
    await waitFor(() => !alive(running), { timeoutMs: 1_000, intervalMs: 10, message: 'ffmpeg gone' });
    expect(Date.now() - cancelledAt).toBeLessThan(1_000);
    expect((await finished(id)).status).toBe('cancelled');
  }, 60_000);

  it('browser-test: Chromium runs the steps against the dashboard; report and screenshot stored', async () => {
    const { id } = await submit('browser-test', { url: `${live.url}/`, expectTitle: 'Jobgate' });
    const view = await completed(id, 90_000);
    expect(view.result?.passed).toBe(true);
    const report = JSON.parse((await download(id, 'report.json')).toString('utf8')) as {
      passed: boolean;
      steps: Array<{ name: string; ok: boolean }>;
    };
    expect(report.steps.map((s) => [s.name, s.ok])).toEqual([
      ['open', true],
      ['title', true],
      ['visible', true],
      ['screenshot', true],
    ]);
    const png = await download(id, 'screenshot.png');
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(
      execFileSync('/usr/bin/identify', ['-format', '%w', save('shot.png', png)], { encoding: 'utf8' }),
    ).toBe('1280');
  }, 120_000);
});
