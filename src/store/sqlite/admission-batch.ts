/**
 * A batch of admissions in ONE write transaction: each item runs in its own savepoint,
 * so an item that fails (queue full, quota exhausted, an idempotency conflict…) rolls
 * back only its own writes and reports its error in its outcome, and the others commit
 * together. One COMMIT per batch instead of one per job: a bulk submit's cost is then
 * the statements, not the commits (docs/BENCHMARKS.md, "embedded").
 */
import type Database from 'better-sqlite3';
import type { AdmitRequest, AdmitResult } from '../store.js';
import { admitOne } from './admission.js';
import type { JobTables } from './job-tables.js';

type Outcome = AdmitResult | { kind: 'error'; error: Error };

export function admitBatch(db: Database.Database, tables: JobTables, requests: AdmitRequest[]): Outcome[] {
  const failed = (error: unknown): Outcome => ({ kind: 'error', error: error as Error });
  if (requests.length === 1) {
    // One job: its own transaction, no savepoint to pay for.
    try {
      return [db.transaction(() => admitOne(tables, requests[0]!)).immediate()];
    } catch (error) {
      return [failed(error)];
    }
  }
  // Called inside the batch's transaction, better-sqlite3 runs this one as a savepoint.
  const item = db.transaction((request: AdmitRequest) => admitOne(tables, request));
  try {
    return db
      .transaction(() =>
        requests.map((request) => {
          try {
            return item(request);
          } catch (error) {
            // An error SQLite answers by rolling back the whole transaction (SQLITE_FULL,
            // an I/O error…) leaves none open: the items before it are gone too, so the
            // batch fails as one rather than reporting jobs that were never committed.
            if (!db.inTransaction) throw error;
            return failed(error);
          }
        }),
      )
      .immediate();
  } catch (error) {
    // Nothing of the batch committed (BEGIN, COMMIT or a rolled-back transaction failed).
    return requests.map(() => failed(error));
  }
}
