/**
 * The failures a store operation reports, shared by every backend so that the error
 * a caller sees is identical whatever the datastore. SQL and Lua return a short code;
 * `storeFailure` turns it into the caller's error.
 */
import { JobgateError } from '../domain/errors.js';
import type { JobStatus } from '../domain/job-states.js';

export type StoreFailureCode =
  | 'not_found'
  | 'lease_lost'
  | 'illegal'
  | 'idempotency_conflict'
  | 'queue_full'
  | 'quota_exhausted'
  | 'parent_not_found'
  | 'schedule_exists';

export function storeFailure(
  code: StoreFailureCode,
  context: { id?: string; status?: JobStatus; op?: string; queue?: string; name?: string } = {},
): JobgateError {
  switch (code) {
    case 'not_found':
      return new JobgateError('JOBGATE_ERR_JOB_NOT_FOUND', `No job ${context.id ?? ''}`.trim(), {
        details: { id: context.id },
      });
    case 'lease_lost':
      return new JobgateError(
        'JOBGATE_ERR_LEASE_LOST',
        `The lease on job ${context.id} is no longer held by this token`,
        {
          details: { id: context.id },
        },
      );
    case 'illegal':
      return new JobgateError(
        'JOBGATE_ERR_ILLEGAL_TRANSITION',
        `Cannot ${context.op} a job that is ${context.status}`,
        {
          details: { id: context.id, status: context.status, op: context.op },
        },
      );
    case 'idempotency_conflict':
      return new JobgateError('JOBGATE_ERR_IDEMPOTENCY_CONFLICT');
    case 'queue_full':
      return new JobgateError(
        'JOBGATE_ERR_QUEUE_FULL',
        `Queue ${context.queue} holds its maximum of waiting jobs`,
        {
          details: { queue: context.queue },
          retryAfterSec: 5,
        },
      );
    case 'quota_exhausted':
      return new JobgateError('JOBGATE_ERR_QUOTA_EXHAUSTED');
    case 'parent_not_found':
      // A chain of iterations stays in one queue (on Redis: in one slot with its root).
      return new JobgateError(
        'JOBGATE_ERR_UNPROCESSABLE',
        `Parent job ${context.id} does not exist in queue ${context.queue} (a follow-up runs in its parent's queue)`,
        { details: { parentId: context.id } },
      );
    case 'schedule_exists':
      return new JobgateError('JOBGATE_ERR_SCHEDULE_EXISTS', `Schedule ${context.name} exists`, {
        details: { name: context.name },
      });
  }
}

const outageCodes =
  /^(SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM)|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTCONN)/;

/**
 * Whether a driver error means the backend is unreachable or overloaded (retry later,
 * 503) rather than a bug. Shared by every caller so the answer is the same everywhere.
 */
export function isStoreOutage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = String((error as NodeJS.ErrnoException).code ?? '');
  return (
    outageCodes.test(code) ||
    /Connection is closed|max retries|Stream isn't writeable|database connection is not open|Redis is not answering|Cluster isn't ready|Failed to refresh slots cache/i.test(
      error.message,
    ) ||
    isStoreTimeout(error)
  );
}

/**
 * Whether a call was sent but its reply never came in time (the Redis store's reply
 * deadline): the store may still apply it later.
 */
export function isStoreTimeout(error: Error): boolean {
  return /^Command timed out/.test(error.message);
}

/** A backend error as the caller's error: outages become 503 STORE_UNAVAILABLE. */
export function asCallerError(error: unknown): JobgateError {
  if (error instanceof JobgateError) return error;
  if (error instanceof Error && isStoreTimeout(error)) return storeTimedOut();
  if (isStoreOutage(error))
    return new JobgateError('JOBGATE_ERR_STORE_UNAVAILABLE', undefined, { retryAfterSec: 1 });
  // The driver's message may name files and internals: it stays in the cause, for the logs.
  return new JobgateError('JOBGATE_ERR_INTERNAL', undefined, { cause: error });
}

/**
 * A 503 for a call the store did not answer in time. It may still take effect when the
 * store wakes (docs/SCALING.md, "Outages"): a submit retried with the same
 * Idempotency-Key then answers with that job instead of making a second one.
 */
export function storeTimedOut(): JobgateError {
  return new JobgateError(
    'JOBGATE_ERR_STORE_UNAVAILABLE',
    'The job store did not answer in time; the request may still take effect: retry a submit with the same Idempotency-Key',
    { retryAfterSec: 1, details: { outcome: 'unknown' } },
  );
}
