/**
 * Migration 0004 on a database written before it: owner and project counters become
 * per queue, rebuilt from the running jobs, and groups parked only by another queue's
 * jobs return to the ready set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrations } from '../../src/store/sqlite/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const now = Date.UTC(2026, 0, 15, 12, 0, 0);

/** A database at schema 3 with owner u (limit 2 running, 1 per project) at its limit across queues. */
function writeVersion3(file: string): void {
  const db = new Database(file);
  db.exec(
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
  );
  for (const migration of migrations.filter((m) => m.version <= 3)) {
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.name, now);
  }
  const job = db.prepare(
    `INSERT INTO jobs (id, queue, type, status, priority, eff_priority, max_attempts, owner, project, created_at, run_at,
       started_at, worker_id, lease_token, lease_expires_at)
     VALUES (@id, @queue, 'default', @status, 5, 5, 3, @owner, @project, ${now}, ${now},
       @started, @worker, @token, @expires)`,
  );
  const add = (id: string, queue: string, status: string, project: string, owner = 'u') => {
    const running = status === 'running';
    job.run({
      id,
      queue,
      status,
      owner,
      project,
      started: running ? now : null,
      worker: running ? 'w' : null,
      token: running ? `token-${id}` : null,
      expires: running ? now + 3_600_000 : null,
    });
  };
  add('run-q-p', 'q', 'running', 'p');
  add('run-q', 'q', 'running', '');
  add('wait-q', 'q', 'queued', '');
  add('wait-q2-p', 'q2', 'queued', 'p');
  add('done-q3', 'q3', 'completed', '');
  add('other-q', 'q', 'running', '', 'v');
  db.exec(`
    INSERT INTO queues (name, vtime, running) VALUES ('q', 3, 3), ('q2', 7, 0), ('q3', 1, 0);
    INSERT INTO status_counts VALUES ('q', 'running', 3), ('q', 'queued', 1), ('q2', 'queued', 1), ('q3', 'completed', 1);
    INSERT INTO owners (owner, running, max_running, max_per_project, boost) VALUES ('u', 2, 2, 1, 1), ('v', 1, NULL, NULL, 0);
    INSERT INTO projects VALUES ('u', 'p', 1), ('u', '', 1), ('v', '', 1);
    -- Both of u's groups parked: u runs 2 jobs across queues.
    INSERT INTO job_groups (queue, owner, project, vstart, head_key, ready) VALUES
      ('q', 'u', '', 2, 52, 0), ('q2', 'u', 'p', 4, 54, 0);
  `);
  db.close();
}

describe('sqlite migration 0004: per-queue limits', () => {
  let dir: string;
  let file: string;
  let store: SqliteStore;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'jobgate-migration-'));
    file = join(dir, 'jobgate.db');
    writeVersion3(file);
    store = new SqliteStore({ file, clock: () => now });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const inspect = <T>(sql: string): T[] => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  };

  it('rebuilds the owner and project counters per queue from the running jobs, keeping the limits', () => {
    expect(inspect('SELECT * FROM owners ORDER BY queue, owner')).toEqual([
      { queue: 'q', owner: 'u', running: 2, max_running: 2, max_per_project: 1, boost: 1 },
      { queue: 'q', owner: 'v', running: 1, max_running: null, max_per_project: null, boost: 0 },
      { queue: 'q2', owner: 'u', running: 0, max_running: 2, max_per_project: 1, boost: 1 },
      { queue: 'q3', owner: 'u', running: 0, max_running: 2, max_per_project: 1, boost: 1 },
    ]);
    expect(inspect('SELECT * FROM projects ORDER BY queue, owner, project')).toEqual([
      { queue: 'q', owner: 'u', project: '', running: 1 },
      { queue: 'q', owner: 'u', project: 'p', running: 1 },
      { queue: 'q', owner: 'v', project: '', running: 1 },
    ]);
    expect(inspect("SELECT name FROM sqlite_master WHERE name = 'job_groups_owner'")).toEqual([]);
    expect(inspect('SELECT MAX(version) AS v FROM schema_migrations')).toEqual([
      // Numbers land out of order (each helper appends its own): the highest, not the last.
      { v: Math.max(...migrations.map((migration) => migration.version)) },
    ]);
  });

  it('counts each group’s queued jobs from the upgraded data, then keeps the count (0005)', async () => {
    expect(inspect('SELECT * FROM group_queued ORDER BY queue')).toEqual([
      { queue: 'q', owner: 'u', project: '', n: 1 },
      { queue: 'q2', owner: 'u', project: 'p', n: 1 },
    ]);
    const [claimed] = await store.claim({ queue: 'q2', workerId: 'w', limit: 1, leaseMs: 60_000 });
    // u is at its limit in q, not in q2 (limits count per queue): the q2 job runs.
    expect(claimed?.id).toBe('wait-q2-p');
    expect(inspect("SELECT n FROM group_queued WHERE queue = 'q2'")).toEqual([{ n: 0 }]);
  });

  it('returns a group parked by another queue’s jobs to the ready set at its queue’s clock', () => {
    expect(inspect('SELECT queue, vstart, head_key, ready FROM job_groups ORDER BY queue')).toEqual([
      { queue: 'q', vstart: 2, head_key: 52, ready: 0 },
      { queue: 'q2', vstart: 7, head_key: 57, ready: 1 },
    ]);
  });

  it('claims under per-queue limits after the upgrade', async () => {
    const claim = (queue: string) => store.claim({ queue, workerId: 'w2', limit: 10, leaseMs: 60_000 });
    expect((await claim('q2')).map((j) => j.id)).toEqual(['wait-q2-p']);
    expect(await claim('q')).toEqual([]);
    await store.complete({ id: 'run-q', token: 'token-run-q', result: null });
    expect((await claim('q')).map((j) => j.id)).toEqual(['wait-q']);
    expect(inspect("SELECT queue, running FROM owners WHERE owner = 'u' ORDER BY queue")).toEqual([
      { queue: 'q', running: 2 },
      { queue: 'q2', running: 1 },
      { queue: 'q3', running: 0 },
    ]);
  });
});
