import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { LocalBlobStore } from '../../src/artifacts/local-blob-store.js';
import { blobStoreConformance } from './blob-store-conformance.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

blobStoreConformance('local directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobgate-blobs-'));
  dirs.push(dir);
  return new LocalBlobStore(join(dir, 'artifacts'));
});
