/**
 * `POST /jobs/batch` items: each is checked against the submit schema on its own, so one
 * bad item gets its own error result and the others are admitted ("one result per item").
 *
 * Idempotency per item: an item's own `idempotencyKey` is its key (shared with single
 * submits of the same owner); an item without one, in a request with an `Idempotency-Key`
 * header, gets `<header>:<index>`. So a batch retried whole with the same header and body
 * makes no job twice, and an item changed between the two calls answers its own 409.
 */
import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { JobgateError } from '../domain/errors.js';
import { SubmitBody } from './schemas.js';

export const idempotencyKeyMaxLength = 255;

const IdempotencyKey = Type.String({ minLength: 1, maxLength: idempotencyKeyMaxLength });

export const BatchItem = Type.Object(
  {
    ...SubmitBody.properties,
    idempotencyKey: Type.Optional(IdempotencyKey),
  },
  { additionalProperties: false },
);

type BatchItemValue = Static<typeof BatchItem>;

const check = Compile(BatchItem);

export interface ParsedItem {
  body: Omit<BatchItemValue, 'idempotencyKey'>;
  idempotencyKey: string | undefined;
}

/** The item at `index`, valid, with its idempotency key; or its validation error. */
export function parseBatchItem(
  item: unknown,
  index: number,
  headerKey: string | undefined,
): ParsedItem | JobgateError {
  if (!check.Check(item)) {
    const errors = [...check.Errors(item)];
    // An unknown field reports a bare "schema is false" first; the object's error names it.
    const first = errors.find((e) => e.keyword === 'additionalProperties') ?? errors[0];
    const path = `jobs[${index}]${first?.instancePath.replaceAll('/', '.') ?? ''}`;
    const extra =
      first?.keyword === 'additionalProperties'
        ? ` (${String((first.params as { additionalProperties?: unknown }).additionalProperties)})`
        : '';
    return new JobgateError('JOBGATE_ERR_VALIDATION', `${path} ${first?.message ?? 'is invalid'}${extra}`, {
      details: {
        index,
        issues: errors.map((e) => ({ path: e.instancePath, message: e.message, params: e.params })),
      },
    });
  }
  const { idempotencyKey, ...body } = item;
  const derived = headerKey === undefined ? undefined : `${headerKey}:${index}`;
  const key = idempotencyKey ?? derived;
  if (key !== undefined && key.length > idempotencyKeyMaxLength) {
    return new JobgateError(
      'JOBGATE_ERR_VALIDATION',
      `jobs[${index}] idempotency key "${headerKey}:${index}" is over ${idempotencyKeyMaxLength} characters: use a shorter Idempotency-Key`,
      { details: { index } },
    );
  }
  return { body, idempotencyKey: key };
}
