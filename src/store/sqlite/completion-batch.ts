/**
 * A busy worker's completions on SQLite, held for the rest of the event-loop tick and
 * committed together: the completions (each with the claim for its freed slot) that
 * arrive in one tick run in ONE write transaction, each in its own savepoint, so one
 * COMMIT and one WAL write of each dirty page serve them all. Each completion stays one
 * atomic step with its own outcome (a lost lease rejects only its caller), and every
 * caller is answered only after the transaction committed.
 */
import type Database from 'better-sqlite3';
import { TickBatch } from '../tick-batch.js';

/** Completions per transaction: enough for a worker of 100 slots, short enough to hold the write lock briefly. */
const HELD_COMPLETIONS = 64;

interface Held<R, T> {
  request: R;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export class CompletionBatch<R, T> {
  private readonly held = new TickBatch<Held<R, T>>(HELD_COMPLETIONS, (items) => this.commit(items));

  constructor(
    private readonly db: Database.Database,
    /** One completion and its claim; runs inside the batch's transaction. */
    private readonly step: (request: R) => T,
  ) {}

  run(request: R): Promise<T> {
    return new Promise((resolve, reject) => this.held.add({ request, resolve, reject }));
  }

  private commit(items: Held<R, T>[]): void {
    const db = this.db;
    if (items.length === 1) {
      // A lone completion (a worker of one slot): its own transaction, no savepoint to pay for.
      const [item] = items as [Held<R, T>];
      try {
        item.resolve(db.transaction(() => this.step(item.request)).immediate());
      } catch (error) {
        item.reject(error);
      }
      return;
    }
    // Inside the batch's transaction better-sqlite3 runs this one as a savepoint.
    const one = db.transaction((request: R) => this.step(request));
    let outcomes: Array<{ value: T } | { error: unknown }>;
    try {
      outcomes = db
        .transaction(() =>
          items.map((item) => {
            try {
              return { value: one(item.request) };
            } catch (error) {
              // An error that rolled back the whole transaction took the others with it.
              if (!db.inTransaction) throw error;
              return { error };
            }
          }),
        )
        .immediate();
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    items.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if ('error' in outcome) item.reject(outcome.error);
      else item.resolve(outcome.value);
    });
  }
}
