/**
 * The secret signed artifact links are made with: JOBGATE_LINK_SECRET when set (every
 * server behind one address needs the same one), else `<data dir>/link-secret`, made
 * with 32 random bytes on first start and readable by this user only. Never printed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function loadLinkSecret(dataDir: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const fromEnv = env.JOBGATE_LINK_SECRET;
  if (fromEnv) {
    if (fromEnv.length < 16) throw new Error('JOBGATE_LINK_SECRET must be at least 16 characters');
    return Buffer.from(fromEnv);
  }
  const file = join(dataDir, 'link-secret');
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (stored.length >= 32) return Buffer.from(stored);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  // `wx`: two servers starting at once on one data dir keep the first one's secret.
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return Buffer.from(readFileSync(file, 'utf8').trim());
    throw error;
  }
  return Buffer.from(secret);
}
