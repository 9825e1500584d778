/**
 * The artifact sweep on both job stores: records of purged jobs lose their bytes and
 * are forgotten; bytes no record names (an upload that crashed before its record) are
 * deleted once past the grace period, and kept before it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalBlobStore } from '../../src/artifacts/local-blob-store.js';
import { ArtifactService } from '../../src/engine/artifact-service.js';
import { Engine } from '../../src/engine/engine.js';
import { systemPrincipal } from '../../src/engine/principal.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobStore } from '../../src/store/store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const backends: Array<[string, () => Promise<JobStore>]> = [
  ['sqlite', async () => new SqliteStore({ file: ':memory:' })],
  [
    'redis',
    async () => {
      const store = new RedisStore({ url: redis.url, prefix: `sweep-${Math.random()}` });
      await store.connect();
      return store;
    },
  ],
];

describe.each(backends)('artifact sweep: %s', (_name, open) => {
  it('deletes the bytes of purged jobs and, after the grace period, bytes no record names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobgate-sweep-'));
    const store = await open();
    const engine = new Engine({ store });
    const blobs = new LocalBlobStore(join(dir, 'artifacts'));
    const artifacts = new ArtifactService({
      engine,
      blobs,
      limits: { maxArtifactBytes: 1_000, maxJobBytes: 2_000 },
      orphanGraceMs: 60_000,
    });
    try {
      const { job } = await engine.submit({ queue: 'q' }, systemPrincipal);
      const [claimed] = await engine.claim({ queue: 'q', workerId: 'w', limit: 1 });
      const lease = { id: job.id, token: claimed!.leaseToken };
      await artifacts.put(lease, 'kept.txt', Readable.from([Buffer.from('kept')]));
      // Bytes whose record never came (a crash between the two steps): one old, one fresh.
      await blobs.put({
        jobId: job.id,
        key: 'crashed-old',
        body: Readable.from([Buffer.from('x')]),
        contentType: 'x/y',
        maxBytes: null,
      });
      await blobs.put({
        jobId: job.id,
        key: 'crashed-new',
        body: Readable.from([Buffer.from('y')]),
        contentType: 'x/y',
        maxBytes: null,
      });
      const old = new Date(Date.now() - 3_600_000);
      await utimes(join(dir, 'artifacts', job.id, 'crashed-old'), old, old);

      expect(await artifacts.sweepUnrecorded()).toBe(1);
      expect((await blobs.list({ jobId: job.id })).map((e) => e.key).sort()).toEqual(
        ['crashed-new', (await store.artifactMeta.listArtifacts(job.id))[0]!.blobKey].sort(),
      );

      await engine.complete(lease, null);
      await store.purge({ completedBefore: Date.now() + 60_000, failedBefore: 0, limit: 10 });
      expect(await artifacts.sweepGoneJobs()).toBe(1);
      expect(await blobs.list({ jobId: job.id })).toEqual([]);
      expect(await blobs.jobs()).toEqual([]);
      expect(await store.artifactMeta.orphanedArtifacts({ limit: 10 })).toEqual([]);
    } finally {
      await artifacts.stop();
      await engine.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
