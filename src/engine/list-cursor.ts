/**
 * List cursors bound to their filter. A store's cursor only says where a page ended; the
 * engine prefixes it with a short hash of the filter it was made under
 * (`<tag>.<store cursor>`), so a cursor handed back with another filter is refused
 * (400) instead of silently paging a different listing from a meaningless place. Above
 * the stores, so it holds on every backend alike.
 */
import { JobgateError } from '../domain/errors.js';
import { fingerprint } from './submit-fingerprint.js';

export interface ListScope {
  status?: string;
  queue?: string;
  type?: string;
  owner?: string;
  idPrefix?: string;
}

const tagLength = 8;

function filterTag(scope: ListScope): string {
  const { status, queue, type, owner, idPrefix } = scope;
  return fingerprint({ status, queue, type, owner, idPrefix }).slice(0, tagLength);
}

export function bindCursor(storeCursor: string | null, scope: ListScope): string | null {
  return storeCursor === null ? null : `${filterTag(scope)}.${storeCursor}`;
}

/** The store cursor inside `cursor`, or a 400 when it was made under another filter or is not ours. */
export function unbindCursor(cursor: string, scope: ListScope): string {
  const dot = cursor.indexOf('.');
  if (dot !== tagLength) {
    throw new JobgateError('JOBGATE_ERR_BAD_REQUEST', 'The cursor is not one this server issued');
  }
  if (cursor.slice(0, dot) !== filterTag(scope)) {
    throw new JobgateError(
      'JOBGATE_ERR_BAD_REQUEST',
      'The cursor was made for another filter (status, queue, type, owner): send the same filter, or start again without a cursor',
      { details: { field: 'cursor' } },
    );
  }
  return cursor.slice(dot + 1);
}
