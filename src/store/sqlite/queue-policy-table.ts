/** Queue policies on SQLite (store/queue-policy-store.ts): one row per (queue, field). */
import type Database from 'better-sqlite3';
import { QUEUE_POLICY_FIELDS, type QueuePolicy, type QueuePolicyPatch } from '../../domain/queue-policy.js';
import { policyFromFields, type QueuePolicyStore } from '../queue-policy-store.js';

export class SqliteQueuePolicies implements QueuePolicyStore {
  constructor(private readonly db: Database.Database) {}

  private read(queue: string): QueuePolicy {
    const rows = this.db
      .prepare<[string], { field: string; value: string }>(
        'SELECT field, value FROM queue_policies WHERE queue = ?',
      )
      .all(queue);
    return policyFromFields(Object.fromEntries(rows.map((row) => [row.field, row.value])));
  }

  getQueuePolicy(queue: string): Promise<QueuePolicy> {
    try {
      return Promise.resolve(this.read(queue));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  patchQueuePolicy({ queue, patch }: { queue: string; patch: QueuePolicyPatch }): Promise<QueuePolicy> {
    try {
      return Promise.resolve(
        this.db
          .transaction(() => {
            for (const field of QUEUE_POLICY_FIELDS) {
              const value = patch[field];
              if (value === null)
                this.db.prepare('DELETE FROM queue_policies WHERE queue = ? AND field = ?').run(queue, field);
              else if (value !== undefined)
                this.db
                  .prepare(
                    `INSERT INTO queue_policies (queue, field, value) VALUES (?, ?, ?)
                     ON CONFLICT (queue, field) DO UPDATE SET value = excluded.value`,
                  )
                  .run(queue, field, JSON.stringify(value));
            }
            return this.read(queue);
          })
          .immediate(),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  listQueuePolicies(): Promise<Array<{ queue: string; policy: QueuePolicy }>> {
    try {
      const queues = this.db
        .prepare<[], { queue: string }>('SELECT DISTINCT queue FROM queue_policies ORDER BY queue')
        .all();
      return Promise.resolve(queues.map(({ queue }) => ({ queue, policy: this.read(queue) })));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}
