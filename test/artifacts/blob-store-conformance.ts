/**
 * The blob store contract (src/artifacts/blob-store.ts): the same cases on the local
 * directory and on S3 (a real s3rver).
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/artifacts/blob-store.js';

export function blobStoreConformance(name: string, factory: () => Promise<BlobStore>): void {
  describe(`blob store conformance: ${name}`, () => {
    let blobs!: BlobStore;
    beforeEach(async () => {
      blobs = await factory();
    });
    afterEach(async () => {
      await blobs.close();
    });

    const jobId = () => randomUUID();
    const body = (data: Buffer | string) => Readable.from([Buffer.from(data)]);
    const put = (job: string, key: string, data: Buffer | string, maxBytes: number | null = null) =>
      blobs.put({ jobId: job, key, body: body(data), contentType: 'text/plain', maxBytes });

    it('puts a stream, hashing and counting it, and gets it back whole and by range', async () => {
      const job = jobId();
      const data = Buffer.from('hello, artifact world');
      const written = await put(job, 'k1', data);
      expect(written).toEqual({ size: data.length, sha256: createHash('sha256').update(data).digest('hex') });
      const whole = await blobs.get({ jobId: job, key: 'k1' });
      expect(whole.size).toBe(data.length);
      expect((await buffer(whole.body)).toString()).toBe('hello, artifact world');
      const part = await blobs.get({ jobId: job, key: 'k1', range: { start: 7, end: 14 } });
      expect(part.size).toBe(data.length);
      expect((await buffer(part.body)).toString()).toBe('artifact');
      expect(await blobs.head({ jobId: job, key: 'k1' })).toMatchObject({ size: data.length });
    });

    it('streams a body of many chunks (multipart on S3) without changing a byte', async () => {
      const job = jobId();
      const chunk = Buffer.alloc(1024 * 1024, 7);
      const chunks = Array.from({ length: 12 }, (_, i) => Buffer.concat([chunk, Buffer.from([i])]));
      const hash = createHash('sha256');
      for (const c of chunks) hash.update(c);
      const written = await blobs.put({
        jobId: job,
        key: 'big',
        body: Readable.from(chunks),
        contentType: 'application/octet-stream',
        maxBytes: null,
      });
      expect(written.size).toBe(12 * (1024 * 1024 + 1));
      expect(written.sha256).toBe(hash.digest('hex'));
      const back = await buffer((await blobs.get({ jobId: job, key: 'big' })).body);
      expect(createHash('sha256').update(back).digest('hex')).toBe(written.sha256);
    });

    it('stops an upload past maxBytes and leaves nothing behind', async () => {
      const job = jobId();
      await expect(put(job, 'k', 'x'.repeat(101), 100)).rejects.toMatchObject({
        code: 'JOBGATE_ERR_ARTIFACT_TOO_LARGE',
      });
      expect(await blobs.head({ jobId: job, key: 'k' })).toBeNull();
      expect(await blobs.list({ jobId: job })).toEqual([]);
      await put(job, 'k', 'x'.repeat(100), 100);
      expect(await blobs.head({ jobId: job, key: 'k' })).toMatchObject({ size: 100 });
    });

    it('answers not found for absent blobs and refuses unsafe ids and keys', async () => {
      const job = jobId();
      await expect(blobs.get({ jobId: job, key: 'nope' })).rejects.toMatchObject({
        code: 'JOBGATE_ERR_ARTIFACT_NOT_FOUND',
      });
      expect(await blobs.head({ jobId: job, key: 'nope' })).toBeNull();
      for (const bad of ['../x', 'a/b', '', '.hidden'])
        await expect(put(job, bad, 'x')).rejects.toMatchObject({ code: 'JOBGATE_ERR_ARTIFACT_NOT_FOUND' });
      await expect(put('../etc', 'k', 'x')).rejects.toMatchObject({ code: 'JOBGATE_ERR_ARTIFACT_NOT_FOUND' });
    });

    it('lists by job, lists the jobs, deletes one blob and a whole job', async () => {
      const a = jobId();
      const b = jobId();
      await put(a, 'k1', 'one');
      await put(a, 'k2', 'two!');
      await put(b, 'k1', 'three');
      expect((await blobs.list({ jobId: a })).map((e) => [e.key, e.size])).toEqual([
        ['k1', 3],
        ['k2', 4],
      ]);
      expect(await blobs.jobs()).toEqual([a, b].sort());
      await blobs.delete({ jobId: a, key: 'k1' });
      await blobs.delete({ jobId: a, key: 'k1' });
      expect((await blobs.list({ jobId: a })).map((e) => e.key)).toEqual(['k2']);
      expect(await blobs.deleteJob({ jobId: a })).toBe(1);
      expect(await blobs.list({ jobId: a })).toEqual([]);
      expect(await blobs.jobs()).toEqual([b]);
      expect(await blobs.deleteJob({ jobId: a })).toBe(0);
    });
  });
}
