/**
 * video: frames → MP4 with ffmpeg (Debian `ffmpeg`): `frames` test-pattern frames at
 * `fps`, H.264; progress parsed from ffmpeg's `-progress` output (frame=N lines).
 * Payload: {frames?: 48, fps?: 24, width?: 320, height?: 240}. Result: {frames, durationSec, artifact}.
 * The ffmpeg pid is in the progress message so an operator (and the tests) can see it go.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { runChild } from './run-child.js';
import { inScratch } from './scratch.js';

export const videoBinary = 'ffmpeg';

export async function video(job, ctx) {
  const p = job.payload ?? {};
  const frames = Math.min(1_000_000, Math.max(1, Math.floor(Number(p.frames) || 48)));
  const fps = Math.min(120, Math.max(1, Math.floor(Number(p.fps) || 24)));
  const w = Math.min(1920, Math.max(16, Math.floor(Number(p.width) || 320) & ~1));
  const h = Math.min(1080, Math.max(16, Math.floor(Number(p.height) || 240) & ~1));
  return inScratch(async (dir) => {
    const out = join(dir, 'video.mp4');
    let pid = 0;
    let lastPercent = -1;
    await ctx.progress(0, 'encode', `0/${frames} frames`);
    await runChild(
      videoBinary,
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-nostats',
        '-progress',
        'pipe:1',
        '-f',
        'lavfi',
        '-i',
        `testsrc=size=${w}x${h}:rate=${fps}`,
        '-frames:v',
        String(frames),
        '-pix_fmt',
        'yuv420p',
        '-c:v',
        'libx264',
        '-preset',
        'veryfast',
        '-movflags',
        '+faststart',
        '-y',
        out,
      ],
      {
        signal: ctx.signal,
        onSpawn: (childPid) => {
          pid = childPid;
          ctx.progress(0, 'encode', `0/${frames} frames (ffmpeg pid ${pid})`).catch(() => {});
        },
        onStdout: (text) => {
          const matches = [...text.matchAll(/^frame=(\d+)$/gm)];
          const last = matches.at(-1);
          if (!last) return;
          const done = Number(last[1]);
          const percent = Math.min(95, Math.floor((done / frames) * 95));
          if (percent === lastPercent) return;
          lastPercent = percent;
          ctx.progress(percent, 'encode', `${done}/${frames} frames (ffmpeg pid ${pid})`).catch(() => {});
        },
      },
    );
    await ctx.progress(96, 'store');
    await ctx.artifacts.put('video.mp4', createReadStream(out), { contentType: 'video/mp4' });
    await ctx.progress(100, 'done');
    return { frames, fps, width: w, height: h, durationSec: frames / fps, artifact: 'video.mp4' };
  });
}
