/**
 * Bulk actions by filter (dead letters are the `failed` jobs): retry, cancel, delete or
 * promote every job a filter matches, server-side. The jobs are walked page by page in
 * the list order (newest first) and each is changed by its own atomic store call, so a
 * bulk action holds the store for one job at a time, never for the whole set, and the
 * event loop is given back between pages: submits to other queues keep their latency
 * while a 50,000-job redrive runs. A job that changed meanwhile (retried by someone
 * else, finished) is skipped, not an error.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { JobgateError } from '../domain/errors.js';
import type { Job } from '../domain/job.js';
import type { JobStatus } from '../domain/job-states.js';
import type { Engine } from './engine.js';
import type { Principal } from './principal.js';

export const BULK_ACTIONS = ['retry', 'cancel', 'delete', 'promote'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

export interface BulkFilter {
  queue?: string;
  status?: JobStatus;
  type?: string;
  owner?: string;
  /** Epoch ms: jobs created before / at or after it. */
  createdBefore?: number;
  createdAfter?: number;
}

export interface BulkResult {
  action: BulkAction;
  /** Jobs the filter matched. */
  matched: number;
  /** Jobs the action changed. */
  changed: number;
  /** Matched jobs the action does not apply to (a retry of a completed job…), or that changed meanwhile. */
  skipped: number;
}

/** Jobs per page: one page is read, then its jobs are changed one store call each. */
export const bulkPageSize = 200;

/** The statuses an action applies to: a filter without a status walks only these. */
const appliesTo: Record<BulkAction, readonly JobStatus[]> = {
  retry: ['failed', 'cancelled'],
  cancel: ['scheduled', 'queued', 'running', 'awaiting_confirmation'],
  delete: ['completed', 'failed', 'cancelled'],
  promote: ['scheduled'],
};

function act(engine: Engine, action: BulkAction, job: Job, principal: Principal): Promise<unknown> {
  switch (action) {
    case 'retry':
      return engine.retryJob(job.id, principal);
    case 'cancel':
      return engine.cancel(job.id, principal);
    case 'delete':
      return engine.deleteJob(job.id, principal);
    case 'promote':
      return engine.promote(job.id, principal);
  }
}

export async function bulkAction(
  engine: Engine,
  request: { action: BulkAction; filter: BulkFilter },
  principal: Principal,
): Promise<BulkResult> {
  const { action, filter } = request;
  if (!BULK_ACTIONS.includes(action))
    throw new JobgateError('JOBGATE_ERR_VALIDATION', `action must be one of ${BULK_ACTIONS.join(', ')}`, {
      details: { field: 'action' },
    });
  const statuses = filter.status ? [filter.status] : appliesTo[action];
  const result: BulkResult = { action, matched: 0, changed: 0, skipped: 0 };
  for (const status of statuses) {
    let cursor: string | undefined;
    do {
      const page = await engine.list(
        { status, queue: filter.queue, type: filter.type, owner: filter.owner, limit: bulkPageSize, cursor },
        principal,
      );
      cursor = page.nextCursor ?? undefined;
      for (const job of page.items) {
        if (filter.createdBefore !== undefined && job.createdAt >= filter.createdBefore) continue;
        if (filter.createdAfter !== undefined && job.createdAt < filter.createdAfter) continue;
        result.matched++;
        try {
          await act(engine, action, job, principal);
          result.changed++;
        } catch (error) {
          const code = error instanceof JobgateError ? error.code : null;
          if (code !== 'JOBGATE_ERR_ILLEGAL_TRANSITION' && code !== 'JOBGATE_ERR_JOB_NOT_FOUND') throw error;
          result.skipped++;
        }
      }
      await yieldToLoop();
    } while (cursor);
  }
  return result;
}
