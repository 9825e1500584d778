/**
 * A batch admitted on SQLite commits in one transaction (one COMMIT per call, not per
 * job), while each item keeps its own outcome: an item that fails rolls back its own
 * writes only.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { request } from '../conformance/store-conformance.js';

describe('sqlite admit of a batch', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'jobgate-admit-batch-'));
    file = join(dir, 'jobgate.db');
    store = new SqliteStore({ file });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** WAL frames written since the last truncating checkpoint. */
  const walFrames = (pageSize: number) => {
    const bytes = statSync(`${file}-wal`).size;
    return bytes === 0 ? 0 : (bytes - 32) / (pageSize + 24);
  };

  it('writes each page once per batch, not once per job', async () => {
    await store.admit([request()]);
    const other = new Database(file);
    const pageSize = other.pragma('page_size', { simple: true }) as number;
    other.pragma('wal_checkpoint(TRUNCATE)');
    expect(walFrames(pageSize)).toBe(0);

    const jobs = 200;
    const results = await store.admit(Array.from({ length: jobs }, () => request()));
    expect(results.every((r) => r.kind === 'created')).toBe(true);
    // One transaction per job wrote ~17 frames a job (>= 1,000 before SQLite's
    // auto-checkpoint wraps the WAL); one transaction writes each dirty page once.
    expect(walFrames(pageSize)).toBeLessThan(jobs / 2);
    expect(
      (other.prepare("SELECT count(*) AS n FROM jobs WHERE status = 'queued'").get() as { n: number }).n,
    ).toBe(jobs + 1);
    other.close();
  });

  it("rolls back a failed item's writes only, the others commit", async () => {
    const first = request({ owner: 'u' });
    const results = await store.admit([
      first,
      // The same id again: its insert fails after the day's usage was charged.
      request({ owner: 'u', id: first.job.id }),
      request({ owner: 'u' }),
    ]);
    expect(results.map((r) => r.kind)).toEqual(['created', 'error', 'created']);
    expect((await store.usage({ owner: 'u', resetOffsetMs: 0 })).jobsUsed).toBe(2);
    expect((await store.counts('q')).queued).toBe(2);
  });
});
