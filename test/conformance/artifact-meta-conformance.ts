/**
 * Artifact metadata (store/artifact-meta.ts): the same cases on every backend. Records
 * are fenced by the lease, bounded per job, and outlive their job only until the sweep
 * forgets them.
 */
import { describe, expect, it } from 'vitest';
import type { ClaimedJob } from '../../src/domain/job.js';
import type { RecordArtifactRequest } from '../../src/store/artifact-meta.js';
import type { JobStore } from '../../src/store/store.js';
import {
  admitOk,
  eachTestStore,
  expectCode,
  request,
  type StoreFactory,
  type StoreHarness,
} from './store-conformance.js';

export function artifactMetaConformance(name: string, factory: StoreFactory): void {
  describe(`artifact metadata conformance: ${name}`, () => {
    let h!: StoreHarness;
    let store!: JobStore;
    eachTestStore(factory, (fresh) => {
      h = fresh;
      store = fresh.store;
    });

    const running = async (queue = 'q'): Promise<ClaimedJob> => {
      await admitOk(store, request({ queue }));
      const [job] = await store.claim({ queue, workerId: 'w', limit: 1, leaseMs: 60_000 });
      if (!job) throw new Error('nothing claimed');
      return job;
    };
    const upload = (job: ClaimedJob, over: Partial<RecordArtifactRequest> = {}): RecordArtifactRequest => ({
      jobId: job.id,
      token: job.leaseToken,
      name: 'out.png',
      size: 10,
      contentType: 'image/png',
      sha256: 'a'.repeat(64),
      blobKey: `blob-${Math.random()}`,
      maxJobBytes: null,
      ...over,
    });

    it('records artifacts under the current lease and reads them back by job', async () => {
      const job = await running();
      const { artifact, replaced } = await store.artifactMeta.recordArtifact(upload(job, { name: 'b.wav' }));
      expect(replaced).toBeNull();
      expect(artifact).toMatchObject({ jobId: job.id, name: 'b.wav', size: 10, contentType: 'image/png' });
      expect(artifact.createdAt).toBe(await store.now());
      await store.artifactMeta.recordArtifact(upload(job, { name: 'a é.json', size: 5 }));
      const listed = await store.artifactMeta.listArtifacts(job.id);
      expect(listed.map((a) => a.name)).toEqual(['a é.json', 'b.wav']);
      expect(listed[1]).toEqual(artifact);
      expect(await store.artifactMeta.getArtifact({ jobId: job.id, name: 'b.wav' })).toEqual(artifact);
      expect(await store.artifactMeta.getArtifact({ jobId: job.id, name: 'nope' })).toBeNull();
      expect(await store.artifactMeta.artifactBytes(job.id)).toBe(15);
      const other = await running();
      const counts = await store.artifactMeta.artifactCounts([job.id, other.id]);
      expect(counts.get(job.id)).toBe(2);
      expect(counts.has(other.id)).toBe(false);
      expect(await store.artifactMeta.listArtifacts(other.id)).toEqual([]);
    });

    it('refuses a stale lease token, a finished job and an unknown job', async () => {
      const job = await running();
      await expectCode(
        store.artifactMeta.recordArtifact(upload(job, { token: 'stale' })),
        'JOBGATE_ERR_LEASE_LOST',
      );
      await store.complete({ id: job.id, token: job.leaseToken, result: null });
      await expectCode(store.artifactMeta.recordArtifact(upload(job)), 'JOBGATE_ERR_LEASE_LOST');
      const ghost = request().job.id;
      await expectCode(
        store.artifactMeta.recordArtifact({ ...upload(job), jobId: ghost }),
        'JOBGATE_ERR_JOB_NOT_FOUND',
      );
      expect(await store.artifactMeta.listArtifacts(job.id)).toEqual([]);
    });

    it('replaces an artifact of the same name and hands back the replaced record', async () => {
      const job = await running();
      const first = await store.artifactMeta.recordArtifact(upload(job, { blobKey: 'k1', size: 7 }));
      const second = await store.artifactMeta.recordArtifact(upload(job, { blobKey: 'k2', size: 9 }));
      expect(second.replaced).toEqual(first.artifact);
      expect(await store.artifactMeta.listArtifacts(job.id)).toEqual([second.artifact]);
      expect(await store.artifactMeta.artifactBytes(job.id)).toBe(9);
    });

    it('keeps a job under its byte limit, counting a replaced artifact once', async () => {
      const job = await running();
      await store.artifactMeta.recordArtifact(upload(job, { name: 'a', size: 60, maxJobBytes: 100 }));
      await expect(
        store.artifactMeta.recordArtifact(upload(job, { name: 'b', size: 41, maxJobBytes: 100 })),
      ).rejects.toMatchObject({ code: 'JOBGATE_ERR_ARTIFACT_TOO_LARGE', details: { usedBytes: 60 } });
      await store.artifactMeta.recordArtifact(upload(job, { name: 'b', size: 40, maxJobBytes: 100 }));
      // Replacing `a` with 60 bytes again fits: the old `a` no longer counts.
      await store.artifactMeta.recordArtifact(upload(job, { name: 'a', size: 60, maxJobBytes: 100 }));
      expect(await store.artifactMeta.artifactBytes(job.id)).toBe(100);
    });

    it('lists the records of purged and cleared jobs as orphans until they are forgotten', async () => {
      const done = await running();
      const kept = await store.artifactMeta.recordArtifact(upload(done, { name: 'x', blobKey: 'kx' }));
      await store.complete({ id: done.id, token: done.leaseToken, result: null });
      const live = await running();
      await store.artifactMeta.recordArtifact(upload(live, { name: 'live' }));
      const released = await running('other');
      const cleared = await store.artifactMeta.recordArtifact(upload(released, { name: 'y', blobKey: 'ky' }));
      await store.release({ id: released.id, token: released.leaseToken });
      expect(await store.artifactMeta.orphanedArtifacts({ limit: 10 })).toEqual([]);

      await h.advance(3_600_000);
      const now = await store.now();
      await store.purge({ completedBefore: now, failedBefore: now, limit: 100 });
      await store.clearQueue({ queue: 'other', limit: 100 });
      const orphans = await store.artifactMeta.orphanedArtifacts({ limit: 10 });
      expect(orphans.sort((a, b) => a.name.localeCompare(b.name))).toEqual([kept.artifact, cleared.artifact]);
      expect(await store.artifactMeta.orphanedArtifacts({ limit: 1 })).toHaveLength(1);

      // A record that names other bytes now (replaced meanwhile) is not forgotten.
      expect(
        await store.artifactMeta.forgetArtifacts([{ jobId: done.id, name: 'x', blobKey: 'other' }]),
      ).toBe(0);
      expect(await store.artifactMeta.forgetArtifacts(orphans)).toBe(2);
      expect(await store.artifactMeta.orphanedArtifacts({ limit: 10 })).toEqual([]);
      expect(await store.artifactMeta.listArtifacts(live.id)).toHaveLength(1);
    });
  });
}
