/**
 * A worker's completions on SQLite that arrive in one tick commit in one transaction,
 * each still its own atomic step with its own outcome.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { request } from '../conformance/store-conformance.js';

describe('sqlite completions of one tick', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'jobgate-complete-batch-'));
    file = join(dir, 'jobgate.db');
    store = new SqliteStore({ file });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const next = { queue: 'q', workerId: 'w', limit: 1, leaseMs: 60_000 };

  it('commit together: each page is written once, not once per completion', async () => {
    const jobs = 50;
    await store.admit(Array.from({ length: jobs * 2 }, () => request()));
    const leases = await store.claim({ ...next, limit: jobs });
    const other = new Database(file);
    const pageSize = other.pragma('page_size', { simple: true }) as number;
    other.pragma('wal_checkpoint(TRUNCATE)');

    const done = await Promise.all(
      leases.map((lease) =>
        store.completeAndClaim({ id: lease.id, token: lease.leaseToken, result: 1, next }),
      ),
    );
    expect(done.every((d) => d.job.status === 'completed' && d.next.length === 1)).toBe(true);
    // One transaction per completion wrote ~17 WAL frames each (~850 here).
    const frames = (statSync(`${file}-wal`).size - 32) / (pageSize + 24);
    expect(frames).toBeLessThan(jobs);
    const counts = await store.counts('q');
    expect([counts.completed, counts.running, counts.queued]).toEqual([jobs, jobs, 0]);
    other.close();
  });

  it('answers each completion on its own: a lost lease fails only its caller', async () => {
    await store.admit(Array.from({ length: 6 }, () => request()));
    const [a, b, c] = await store.claim({ ...next, limit: 3 });
    const outcomes = await Promise.allSettled([
      store.completeAndClaim({ id: a!.id, token: a!.leaseToken, result: 'a', next }),
      store.completeAndClaim({ id: b!.id, token: 'not-the-lease', result: 'b', next }),
      store.completeAndClaim({ id: c!.id, token: c!.leaseToken, result: 'c', next }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.get(b!.id))?.status).toBe('running');
    const counts = await store.counts('q');
    // a and c completed and each claimed one more; b still runs and claimed nothing.
    expect([counts.completed, counts.running, counts.queued]).toEqual([2, 3, 1]);
  });
});
