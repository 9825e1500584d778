/**
 * speech: text → WAV with espeak-ng (Debian `espeak-ng`).
 * Payload: {text, voice?: "en", speed?: words per minute}. Result: {durationSec, sampleRate, artifact}.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { runChild } from './run-child.js';
import { inScratch } from './scratch.js';

export const speechBinary = '/usr/bin/espeak-ng';

/** Duration of a PCM WAV from its header: data bytes / byte rate. */
export async function wavInfo(path) {
  const file = await open(path, 'r');
  try {
    const header = Buffer.alloc(4096);
    const { bytesRead } = await file.read(header, 0, header.length, 0);
    if (header.toString('ascii', 0, 4) !== 'RIFF' || header.toString('ascii', 8, 12) !== 'WAVE')
      throw new Error('espeak-ng wrote no WAV');
    const sampleRate = header.readUInt32LE(24);
    const byteRate = header.readUInt32LE(28);
    // Find the data chunk (espeak-ng writes it right after fmt, but do not rely on it).
    let offset = 12;
    while (offset + 8 <= bytesRead) {
      const id = header.toString('ascii', offset, offset + 4);
      const size = header.readUInt32LE(offset + 4);
      if (id === 'data') {
        const { size: fileSize } = await file.stat();
        const dataBytes = Math.min(size, fileSize - offset - 8);
        return { sampleRate, durationSec: Math.round((dataBytes / byteRate) * 1000) / 1000 };
      }
      offset += 8 + size;
    }
    throw new Error('the WAV has no data chunk');
  } finally {
    await file.close();
  }
}

export async function speech(job, ctx) {
  const { text = 'Hello from Jobgate.', voice = 'en', speed = 160 } = job.payload ?? {};
  if (typeof text !== 'string' || text.length === 0 || text.length > 10_000)
    throw new Error('payload.text must be a string of 1 to 10000 characters');
  return inScratch(async (dir) => {
    const out = join(dir, 'speech.wav');
    await ctx.progress(10, 'synthesize', `espeak-ng, voice ${voice}`);
    await runChild(
      speechBinary,
      ['-v', String(voice), '-s', String(Number(speed) || 160), '-w', out, '--', text],
      {
        signal: ctx.signal,
      },
    );
    const info = await wavInfo(out);
    await ctx.progress(80, 'store', `${info.durationSec} s of audio`);
    await ctx.artifacts.put('speech.wav', createReadStream(out), { contentType: 'audio/wav' });
    await ctx.progress(100, 'done');
    return { ...info, artifact: 'speech.wav' };
  });
}
