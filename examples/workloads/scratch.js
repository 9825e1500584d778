/** A private scratch directory per job run, removed afterwards whatever happened. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * @template T
 * @param {(dir: string) => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function inScratch(work) {
  const dir = await mkdtemp(join(tmpdir(), 'jobgate-work-'));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
