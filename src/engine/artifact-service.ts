/**
 * Artifacts: the files jobs make. Bytes go to the blob store (src/artifacts/), metadata
 * to the job store (store/artifact-meta.ts), in the order that leaves no orphan forever:
 *
 *   put: lease check (a heartbeat, which also keeps a long upload's lease alive) →
 *        bytes under a fresh key → record, fenced by the lease token in the same atomic
 *        step as the job's byte total → the replaced upload's bytes deleted.
 *        A failed record deletes the new bytes; a crash leaves bytes no record names.
 *   sweep: records whose job is gone (purged, cleared) → their bytes deleted → records
 *        forgotten; then bytes no record names, older than the grace period, deleted.
 *
 * Reading is the job owner's and admins' (others get 404, as for the job itself), or
 * anyone's with a signed link, which the http layer checks.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlobStore, ByteRange } from '../artifacts/blob-store.js';
import { tooLarge } from '../artifacts/digest-stream.js';
import { artifactContentType, validateArtifactName } from '../domain/artifact-name.js';
import { JobgateError } from '../domain/errors.js';
import type { ArtifactRecord } from '../store/artifact-meta.js';
import type { Engine, Lease } from './engine.js';
import { type Principal, scopeOwner } from './principal.js';
import { LoopService } from './services/loop-service.js';

export interface ArtifactLimits {
  maxArtifactBytes: number;
  maxJobBytes: number;
}

export interface ArtifactServiceConfig {
  engine: Engine;
  blobs: BlobStore;
  limits: ArtifactLimits;
  sweepIntervalMs?: number;
  /** Bytes no record names are deleted once this old (an upload may still be running). */
  orphanGraceMs?: number;
  onSweepError?: (error: unknown) => void;
}

export interface PutArtifactOptions {
  contentType?: string;
  /** The uploader's declared length (Content-Length): refused at once when over a limit. */
  declaredBytes?: number;
}

const sweepBatch = 200;

export class ArtifactService {
  readonly blobs: BlobStore;
  readonly limits: ArtifactLimits;
  readonly sweeper: LoopService;
  private readonly engine: Engine;
  private readonly orphanGraceMs: number;
  private readonly unsubscribe: () => void;

  constructor(config: ArtifactServiceConfig) {
    this.engine = config.engine;
    this.blobs = config.blobs;
    this.limits = config.limits;
    this.orphanGraceMs = config.orphanGraceMs ?? 3_600_000;
    this.sweeper = new LoopService({
      name: 'artifact-sweeper',
      intervalMs: config.sweepIntervalMs ?? 300_000,
      batchSize: sweepBatch,
      onError: config.onSweepError,
      tick: async () => {
        const forgotten = await this.sweepGoneJobs();
        // The walk of every stored job waits for a quiet tick.
        if (forgotten < sweepBatch) await this.sweepUnrecorded();
        return forgotten;
      },
    });
    // Purged and cleared jobs take their artifacts with them at once, not at the next interval.
    const purged = (handled: number) => {
      if (handled > 0) this.sweepSoon();
    };
    config.engine.services.purger.on('tick', purged);
    const removed = config.engine.events.subscribe((event) => {
      if (event.kind === 'removed') this.sweepSoon();
    });
    this.unsubscribe = () => {
      config.engine.services.purger.off('tick', purged);
      removed();
    };
  }

  private sweeping: Promise<unknown> | null = null;
  private sweepSoon(): void {
    this.sweeping ??= this.sweepGoneJobs()
      .catch(() => 0)
      .finally(() => {
        this.sweeping = null;
      });
  }

  start(): void {
    this.sweeper.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.sweeper.stop();
    await this.sweeping;
    await this.blobs.close();
  }

  /** Stores an artifact for a running job under its lease; streamed, never held whole in memory. */
  async put(
    lease: Lease,
    name: string,
    body: Readable,
    options: PutArtifactOptions = {},
  ): Promise<ArtifactRecord> {
    validateArtifactName(name);
    const { lost } = await this.engine.heartbeat([lease]);
    if (lost.includes(lease.id))
      throw new JobgateError(
        'JOBGATE_ERR_LEASE_LOST',
        `The lease on job ${lease.id} is no longer held by this token`,
        {
          details: { id: lease.id },
        },
      );
    const meta = this.engine.store.artifactMeta;
    const [used, existing] = await Promise.all([
      meta.artifactBytes(lease.id),
      meta.getArtifact({ jobId: lease.id, name }),
    ]);
    const jobRoom = this.limits.maxJobBytes - used + (existing?.size ?? 0);
    const maxBytes = Math.max(0, Math.min(this.limits.maxArtifactBytes, jobRoom));
    if (options.declaredBytes !== undefined && options.declaredBytes > maxBytes)
      throw this.overLimit(lease.id, maxBytes, jobRoom);
    const blob = { jobId: lease.id, key: randomUUID() };
    const contentType = artifactContentType(options.contentType);
    let written: { size: number; sha256: string };
    try {
      written = await this.blobs.put({ ...blob, body, contentType, maxBytes });
    } catch (error) {
      if (error instanceof JobgateError && error.code === 'JOBGATE_ERR_ARTIFACT_TOO_LARGE')
        throw this.overLimit(lease.id, maxBytes, jobRoom);
      throw error;
    }
    try {
      const { artifact, replaced } = await meta.recordArtifact({
        jobId: lease.id,
        token: lease.token,
        name,
        size: written.size,
        contentType,
        sha256: written.sha256,
        blobKey: blob.key,
        maxJobBytes: this.limits.maxJobBytes,
      });
      if (replaced) await this.blobs.delete({ jobId: lease.id, key: replaced.blobKey }).catch(() => {});
      return artifact;
    } catch (error) {
      await this.blobs.delete(blob).catch(() => {});
      throw error;
    }
  }

  private overLimit(jobId: string, maxBytes: number, jobRoom: number): JobgateError {
    if (jobRoom < this.limits.maxArtifactBytes)
      return new JobgateError(
        'JOBGATE_ERR_ARTIFACT_TOO_LARGE',
        `Job ${jobId} has ${Math.max(0, jobRoom)} bytes of artifact room left (limit ${this.limits.maxJobBytes} per job)`,
        { details: { jobId, limitBytes: this.limits.maxJobBytes, roomBytes: Math.max(0, jobRoom) } },
      );
    return tooLarge(maxBytes);
  }

  /** The job's artifacts, when the principal may see the job (else JOBGATE_ERR_JOB_NOT_FOUND). */
  async list(jobId: string, principal: Principal): Promise<ArtifactRecord[]> {
    await this.engine.get(jobId, principal);
    return this.engine.store.artifactMeta.listArtifacts(jobId);
  }

  /** How many artifacts each job has, among the jobs the principal may see. */
  async counts(jobIds: string[], principal: Principal): Promise<Map<string, number>> {
    const counts = await this.engine.store.artifactMeta.artifactCounts(jobIds);
    const owner = scopeOwner(principal);
    if (owner === undefined) return counts;
    // Only jobs with artifacts are looked up: most of a page has none.
    const seen = await Promise.all([...counts.keys()].map((id) => this.engine.store.get(id, owner)));
    for (const [i, id] of [...counts.keys()].entries()) if (!seen[i]) counts.delete(id);
    return counts;
  }

  /**
   * One artifact's record, for a principal who may see the job, or (principal null) for
   * a signed link the caller has verified. Another tenant's job answers as absent.
   */
  async find(jobId: string, name: string, principal: Principal | null): Promise<ArtifactRecord> {
    if (principal) await this.engine.get(jobId, principal);
    const record = await this.engine.store.artifactMeta.getArtifact({ jobId, name });
    if (!record)
      throw new JobgateError('JOBGATE_ERR_ARTIFACT_NOT_FOUND', `Job ${jobId} has no artifact ${name}`, {
        details: { jobId, name },
      });
    return record;
  }

  open(record: ArtifactRecord, range?: ByteRange) {
    return this.blobs.get({ jobId: record.jobId, key: record.blobKey, range });
  }

  /** Deletes the bytes and records of jobs that are gone; returns how many records went. */
  async sweepGoneJobs(): Promise<number> {
    const orphans = await this.engine.store.artifactMeta.orphanedArtifacts({ limit: sweepBatch });
    for (const record of orphans) await this.blobs.delete({ jobId: record.jobId, key: record.blobKey });
    const forgotten = orphans.length > 0 ? await this.engine.store.artifactMeta.forgetArtifacts(orphans) : 0;
    const jobs = new Set(orphans.map((record) => record.jobId));
    // A job's leftovers (an upload that crashed before its record) go with it.
    for (const jobId of jobs)
      if ((await this.engine.store.artifactMeta.listArtifacts(jobId)).length === 0)
        await this.blobs.deleteJob({ jobId });
    return forgotten;
  }

  /**
   * Deletes stored bytes that no record names (an upload that crashed between its bytes
   * and its record, or a job whose records were forgotten before its bytes went), once
   * older than the grace period. Walks every job in the blob store: run it rarely.
   */
  async sweepUnrecorded(now = Date.now()): Promise<number> {
    let deleted = 0;
    for (const jobId of await this.blobs.jobs()) {
      const known = new Set(
        (await this.engine.store.artifactMeta.listArtifacts(jobId)).map((r) => r.blobKey),
      );
      for (const entry of await this.blobs.list({ jobId })) {
        if (known.has(entry.key) || now - entry.modifiedAt < this.orphanGraceMs) continue;
        await this.blobs.delete({ jobId, key: entry.key });
        deleted++;
      }
    }
    return deleted;
  }
}
