/** The worker registry table. */
import type Database from 'better-sqlite3';
import type { WorkerRecord, WorkerState } from '../store.js';

interface WorkerRow {
  id: string;
  queues: string;
  concurrency: number;
  labels: string;
  version: string | null;
  state: WorkerState;
  running: number;
  started_at: number;
  last_seen_at: number;
}

const toRecord = (row: WorkerRow): WorkerRecord => ({
  id: row.id,
  queues: JSON.parse(row.queues) as string[],
  concurrency: row.concurrency,
  labels: JSON.parse(row.labels) as Record<string, string>,
  version: row.version,
  state: row.state,
  running: row.running,
  startedAt: row.started_at,
  lastSeenAt: row.last_seen_at,
});

const byId = (db: Database.Database, id: string) =>
  db.prepare<[string], WorkerRow>('SELECT * FROM workers WHERE id = ?').get(id);

export function registerWorker(
  db: Database.Database,
  record: Omit<WorkerRecord, 'lastSeenAt'>,
  now: number,
): WorkerRecord {
  db.prepare(
    `INSERT OR REPLACE INTO workers (id, queues, concurrency, labels, version, state, running, started_at, last_seen_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    record.id,
    JSON.stringify(record.queues),
    record.concurrency,
    JSON.stringify(record.labels),
    record.version,
    record.state,
    record.running,
    record.startedAt,
    now,
  );
  return toRecord(byId(db, record.id)!);
}

export function touchWorker(
  db: Database.Database,
  { id, state, running }: { id: string; state: WorkerState; running: number },
  now: number,
): WorkerRecord | null {
  const changed = db
    .prepare('UPDATE workers SET state = ?, running = ?, last_seen_at = ? WHERE id = ?')
    .run(state, running, now, id);
  return changed.changes > 0 ? toRecord(byId(db, id)!) : null;
}

export function listWorkers(db: Database.Database, forgetBefore: number): WorkerRecord[] {
  db.prepare('DELETE FROM workers WHERE last_seen_at < ?').run(forgetBefore);
  return db.prepare<[], WorkerRow>('SELECT * FROM workers ORDER BY started_at, id').all().map(toRecord);
}
