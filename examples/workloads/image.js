/**
 * image: a prompt-like payload → PNG rendered with ImageMagick (Debian `imagemagick`):
 * a fractal plasma seeded by the prompt, with the prompt written on it.
 * Payload: {prompt, width?: 512, height?: 512}. Result: {width, height, seed, artifact}.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { runChild } from './run-child.js';
import { inScratch } from './scratch.js';

// The Debian binary by path: another `convert` may come first on PATH.
export const imageBinary = '/usr/bin/convert';

export async function image(job, ctx) {
  const { prompt = 'a lighthouse at dusk', width = 512, height = 512 } = job.payload ?? {};
  const w = Math.min(2048, Math.max(16, Math.floor(Number(width) || 512)));
  const h = Math.min(2048, Math.max(16, Math.floor(Number(height) || 512)));
  const text = String(prompt).slice(0, 200);
  const seed = createHash('sha256').update(text).digest().readUInt32BE(0) % 100_000;
  return inScratch(async (dir) => {
    const out = join(dir, 'image.png');
    await ctx.progress(10, 'render', `${w}×${h}, seed ${seed}`);
    await runChild(
      imageBinary,
      [
        '-seed',
        String(seed),
        '-size',
        `${w}x${h}`,
        'plasma:fractal',
        '-blur',
        '0x2',
        '-gravity',
        'south',
        '-pointsize',
        String(Math.max(12, Math.round(h / 18))),
        '-fill',
        'white',
        '-annotate',
        '+0+12',
        text,
        `png:${out}`,
      ],
      { signal: ctx.signal },
    );
    await ctx.progress(80, 'store');
    await ctx.artifacts.put('image.png', createReadStream(out), { contentType: 'image/png' });
    await ctx.progress(100, 'done');
    return { width: w, height: h, seed, artifact: 'image.png' };
  });
}
