/** Dynamic queues on SQLite (store/queue-registry.ts): one row each, one transaction per call. */
import type Database from 'better-sqlite3';
import type { DynamicQueueOutcome, DynamicQueueRecord, QueueRegistryStore } from '../queue-registry.js';

interface DynamicQueueRow {
  name: string;
  owner: string;
  created_at: number;
  last_used_at: number;
}

/** Tables with a row per queue that an empty queue no longer needs. */
const PER_QUEUE_TABLES = ['queues', 'status_counts', 'job_groups', 'owners', 'projects', 'group_queued'];

export class SqliteQueueRegistry implements QueueRegistryStore {
  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => number,
  ) {}

  private tx<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.db.transaction(fn).immediate());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  recordDynamicQueue(request: {
    queue: string;
    owner: string;
    maxTotal: number | null;
    maxPerOwner: number | null;
  }): Promise<DynamicQueueOutcome> {
    return this.tx(() => {
      const now = this.clock();
      const touched = this.db
        .prepare('UPDATE dynamic_queues SET last_used_at = ? WHERE name = ?')
        .run(now, request.queue);
      if (touched.changes > 0) return 'known';
      const count = (sql: string, ...args: string[]) =>
        (this.db.prepare(sql).get(...args) as { n: number }).n;
      if (request.maxTotal !== null && count('SELECT COUNT(*) AS n FROM dynamic_queues') >= request.maxTotal)
        return 'total_limit';
      if (
        request.maxPerOwner !== null &&
        count('SELECT COUNT(*) AS n FROM dynamic_queues WHERE owner = ?', request.owner) >=
          request.maxPerOwner
      )
        return 'owner_limit';
      this.db
        .prepare('INSERT INTO dynamic_queues (name, owner, created_at, last_used_at) VALUES (?, ?, ?, ?)')
        .run(request.queue, request.owner, now, now);
      return 'created';
    });
  }

  idleDynamicQueues({ idleBefore, limit }: { idleBefore: number; limit: number }): Promise<string[]> {
    const rows = this.db
      .prepare<[number, number], { name: string }>(
        'SELECT name FROM dynamic_queues WHERE last_used_at < ? ORDER BY last_used_at LIMIT ?',
      )
      .all(idleBefore, limit);
    return Promise.resolve(rows.map((row) => row.name));
  }

  retireDynamicQueue({ queue, idleBefore }: { queue: string; idleBefore: number }): Promise<boolean> {
    return this.tx(
      () =>
        this.db
          .prepare('DELETE FROM dynamic_queues WHERE name = ? AND last_used_at < ?')
          .run(queue, idleBefore).changes > 0,
    );
  }

  listDynamicQueues(): Promise<DynamicQueueRecord[]> {
    const rows = this.db.prepare<[], DynamicQueueRow>('SELECT * FROM dynamic_queues ORDER BY name').all();
    return Promise.resolve(
      rows.map((row) => ({
        queue: row.name,
        owner: row.owner,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
      })),
    );
  }

  forgetQueue(queue: string): Promise<boolean> {
    return this.tx(() => {
      const held = this.db.prepare('SELECT 1 FROM jobs WHERE queue = ? LIMIT 1').get(queue);
      if (held) return false;
      for (const table of PER_QUEUE_TABLES)
        this.db.prepare(`DELETE FROM ${table} WHERE ${table === 'queues' ? 'name' : 'queue'} = ?`).run(queue);
      return true;
    });
  }
}
