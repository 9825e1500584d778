/**
 * Artifact metadata on SQLite (see store/artifact-meta.ts): the `artifacts` table
 * (migration 0008). A record is written in one IMMEDIATE transaction with the lease
 * check and the job's byte total.
 */
import type Database from 'better-sqlite3';
import {
  type ArtifactMetaStore,
  type ArtifactRecord,
  jobBytesExceeded,
  type RecordArtifactRequest,
  type RecordArtifactResult,
} from '../artifact-meta.js';
import { storeFailure } from '../store-errors.js';

interface ArtifactRow {
  job_id: string;
  name: string;
  size: number;
  content_type: string;
  sha256: string;
  blob_key: string;
  created_at: number;
}

const toRecord = (row: ArtifactRow): ArtifactRecord => ({
  jobId: row.job_id,
  name: row.name,
  size: row.size,
  contentType: row.content_type,
  sha256: row.sha256,
  blobKey: row.blob_key,
  createdAt: row.created_at,
});

export class SqliteArtifactMeta implements ArtifactMetaStore {
  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number,
  ) {}

  recordArtifact(request: RecordArtifactRequest): Promise<RecordArtifactResult> {
    return this.run(() =>
      this.db
        .transaction((): RecordArtifactResult => {
          const job = this.db
            .prepare<[string], { status: string; lease_token: string | null }>(
              'SELECT status, lease_token FROM jobs WHERE id = ?',
            )
            .get(request.jobId);
          if (!job) throw storeFailure('not_found', { id: request.jobId });
          if (job.status !== 'running' || job.lease_token !== request.token)
            throw storeFailure('lease_lost', { id: request.jobId });
          const replacedRow = this.db
            .prepare<[string, string], ArtifactRow>('SELECT * FROM artifacts WHERE job_id = ? AND name = ?')
            .get(request.jobId, request.name);
          if (request.maxJobBytes !== null) {
            // The job's other artifacts plus this one: a replaced one no longer counts.
            const { total } = this.db
              .prepare<[string, string], { total: number }>(
                'SELECT COALESCE(SUM(size), 0) AS total FROM artifacts WHERE job_id = ? AND name != ?',
              )
              .get(request.jobId, request.name)!;
            if (total + request.size > request.maxJobBytes) throw jobBytesExceeded(request, total);
          }
          const artifact: ArtifactRecord = {
            jobId: request.jobId,
            name: request.name,
            size: request.size,
            contentType: request.contentType,
            sha256: request.sha256,
            blobKey: request.blobKey,
            createdAt: this.clock(),
          };
          this.db
            .prepare(
              `INSERT INTO artifacts (job_id, name, size, content_type, sha256, blob_key, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (job_id, name) DO UPDATE SET size = excluded.size, content_type = excluded.content_type,
               sha256 = excluded.sha256, blob_key = excluded.blob_key, created_at = excluded.created_at`,
            )
            .run(
              artifact.jobId,
              artifact.name,
              artifact.size,
              artifact.contentType,
              artifact.sha256,
              artifact.blobKey,
              artifact.createdAt,
            );
          return { artifact, replaced: replacedRow ? toRecord(replacedRow) : null };
        })
        .immediate(),
    );
  }

  listArtifacts(jobId: string): Promise<ArtifactRecord[]> {
    return this.run(() =>
      this.db
        .prepare<[string], ArtifactRow>('SELECT * FROM artifacts WHERE job_id = ? ORDER BY name')
        .all(jobId)
        .map(toRecord),
    );
  }

  getArtifact({ jobId, name }: { jobId: string; name: string }): Promise<ArtifactRecord | null> {
    return this.run(() => {
      const row = this.db
        .prepare<[string, string], ArtifactRow>('SELECT * FROM artifacts WHERE job_id = ? AND name = ?')
        .get(jobId, name);
      return row ? toRecord(row) : null;
    });
  }

  artifactBytes(jobId: string): Promise<number> {
    return this.run(
      () =>
        this.db
          .prepare<[string], { total: number }>(
            'SELECT COALESCE(SUM(size), 0) AS total FROM artifacts WHERE job_id = ?',
          )
          .get(jobId)!.total,
    );
  }

  artifactCounts(jobIds: string[]): Promise<Map<string, number>> {
    return this.run(() => {
      const counts = new Map<string, number>();
      if (jobIds.length === 0) return counts;
      const rows = this.db
        .prepare<string[], { job_id: string; n: number }>(
          `SELECT job_id, COUNT(*) AS n FROM artifacts WHERE job_id IN (${jobIds.map(() => '?').join(',')}) GROUP BY job_id`,
        )
        .all(...jobIds);
      for (const row of rows) counts.set(row.job_id, row.n);
      return counts;
    });
  }

  orphanedArtifacts({ limit }: { limit: number }): Promise<ArtifactRecord[]> {
    return this.run(() =>
      this.db
        .prepare<[number], ArtifactRow>(
          `SELECT a.* FROM artifacts a WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = a.job_id)
           ORDER BY a.job_id, a.name LIMIT ?`,
        )
        .all(limit)
        .map(toRecord),
    );
  }

  forgetArtifacts(records: Array<Pick<ArtifactRecord, 'jobId' | 'name' | 'blobKey'>>): Promise<number> {
    return this.run(() =>
      this.db.transaction(() => {
        const remove = this.db.prepare(
          'DELETE FROM artifacts WHERE job_id = ? AND name = ? AND blob_key = ?',
        );
        let removed = 0;
        for (const record of records)
          removed += remove.run(record.jobId, record.name, record.blobKey).changes;
        return removed;
      })(),
    );
  }

  private run<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
