/**
 * Blobs in a local directory (the default: `<data dir>/artifacts`): `<root>/<jobId>/<key>`.
 * An upload is written to a dot-file beside its final name and renamed when complete,
 * so a reader never sees half a blob and a crash leaves only a dot-file (the orphan
 * sweep deletes those with the rest).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { JobgateError } from '../domain/errors.js';
import {
  type BlobEntry,
  type BlobPut,
  type BlobRead,
  type BlobRef,
  type BlobStore,
  type BlobWritten,
  type ByteRange,
  blobNotFound,
  blobStoreUnavailable,
  checkSegment,
} from './blob-store.js';
import { DigestStream } from './digest-stream.js';

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

export class LocalBlobStore implements BlobStore {
  readonly name = 'local';

  constructor(readonly root: string) {}

  private path({ jobId, key }: BlobRef): string {
    return join(this.root, checkSegment('jobId', jobId), checkSegment('key', key));
  }

  async put(request: BlobPut): Promise<BlobWritten> {
    const final = this.path(request);
    const dir = join(this.root, request.jobId);
    const partial = join(dir, `.${request.key}.partial`);
    const digest = new DigestStream(request.maxBytes);
    try {
      await mkdir(dir, { recursive: true });
      await pipeline(request.body, digest, createWriteStream(partial));
      await rename(partial, final);
    } catch (error) {
      await unlink(partial).catch(() => {});
      throw error instanceof JobgateError || !isFsOutage(error) ? error : blobStoreUnavailable(error);
    }
    return { size: digest.bytes, sha256: digest.digest() };
  }

  async get(request: BlobRef & { range?: ByteRange }): Promise<BlobRead> {
    const path = this.path(request);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      if (isMissing(error)) throw blobNotFound(request);
      throw blobStoreUnavailable(error);
    }
    const body = createReadStream(
      path,
      request.range ? { start: request.range.start, end: request.range.end } : {},
    );
    return { body, size };
  }

  async head(ref: BlobRef): Promise<{ size: number; modifiedAt: number } | null> {
    try {
      const info = await stat(this.path(ref));
      return { size: info.size, modifiedAt: info.mtimeMs };
    } catch (error) {
      if (isMissing(error)) return null;
      throw blobStoreUnavailable(error);
    }
  }

  async list({ jobId }: { jobId: string }): Promise<BlobEntry[]> {
    const dir = join(this.root, checkSegment('jobId', jobId));
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (isMissing(error)) return [];
      throw blobStoreUnavailable(error);
    }
    const entries: BlobEntry[] = [];
    for (const key of names.sort()) {
      // Dot-files are uploads in progress (or left by a crash): listed under their own name.
      const info = await stat(join(dir, key)).catch(() => null);
      if (info?.isFile()) entries.push({ key, size: info.size, modifiedAt: info.mtimeMs });
    }
    return entries;
  }

  async jobs(): Promise<string[]> {
    try {
      const entries = await readdir(this.root, { withFileTypes: true });
      return entries
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      if (isMissing(error)) return [];
      throw blobStoreUnavailable(error);
    }
  }

  async delete(ref: BlobRef): Promise<void> {
    const dir = join(this.root, checkSegment('jobId', ref.jobId));
    // A key listed by `list` may be a dot-file, which checkSegment refuses: delete by the listed name.
    const key = ref.key.startsWith('.') ? ref.key : checkSegment('key', ref.key);
    if (key.includes('/') || key.includes('\\') || key === '.' || key === '..') return;
    await rm(join(dir, key), { force: true });
    // The job's directory goes with its last blob (rmdir refuses a non-empty one).
    await rmdir(dir).catch(() => {});
  }

  async deleteJob({ jobId }: { jobId: string }): Promise<number> {
    const entries = await this.list({ jobId });
    await rm(join(this.root, checkSegment('jobId', jobId)), { recursive: true, force: true });
    return entries.length;
  }

  async close(): Promise<void> {}
}

function isFsOutage(error: unknown): boolean {
  return /^(EACCES|EROFS|ENOSPC|EIO|EMFILE|ENFILE|EDQUOT)$/.test(
    String((error as NodeJS.ErrnoException).code ?? ''),
  );
}
