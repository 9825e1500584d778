/**
 * A store call that answers late is as useless to a status page as one that fails:
 * `withDeadline` turns both into the same STORE_UNAVAILABLE error, so a reader that
 * shows several parts can report the slow part and still answer with the rest.
 */
import { JobgateError } from '../domain/errors.js';
import { asCallerError } from '../store/store-errors.js';

export const readDeadlineMsDefault = 2_000;

export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new JobgateError(
            'JOBGATE_ERR_STORE_UNAVAILABLE',
            `The store did not answer ${what} within ${ms} ms`,
            {
              retryAfterSec: 1,
            },
          ),
        ),
      ms,
    );
  });
  try {
    return await Promise.race([work, late]);
  } catch (error) {
    throw asCallerError(error);
  } finally {
    clearTimeout(timer);
    // The losing call may still fail later; nobody is waiting for it.
    work.catch(() => {});
  }
}

/** A part of an answer that could not be read, in place of its value. */
export interface PartError {
  part: string;
  code: string;
  message: string;
}

export function partError(part: string, error: unknown): PartError {
  const mapped = asCallerError(error);
  return { part, code: mapped.code, message: mapped.message };
}
