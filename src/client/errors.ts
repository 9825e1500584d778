/** Errors the API answers with, typed. Mirrors the server's registry (checked by a test). */
export const API_ERROR_CODES = [
  'JOBGATE_ERR_BAD_REQUEST',
  'JOBGATE_ERR_VALIDATION',
  'JOBGATE_ERR_UNAUTHORIZED',
  'JOBGATE_ERR_FORBIDDEN',
  'JOBGATE_ERR_NOT_FOUND',
  'JOBGATE_ERR_METHOD_NOT_ALLOWED',
  'JOBGATE_ERR_JOB_NOT_FOUND',
  'JOBGATE_ERR_QUEUE_NOT_FOUND',
  'JOBGATE_ERR_WORKER_NOT_FOUND',
  'JOBGATE_ERR_SCHEDULE_NOT_FOUND',
  'JOBGATE_ERR_SCHEDULE_EXISTS',
  'JOBGATE_ERR_WEBHOOK_NOT_FOUND',
  'JOBGATE_ERR_WEBHOOK_TARGET_REFUSED',
  'JOBGATE_ERR_HOOK_SIGNATURE_INVALID',
  'JOBGATE_ERR_ARTIFACT_NOT_FOUND',
  'JOBGATE_ERR_ARTIFACT_NAME_INVALID',
  'JOBGATE_ERR_ARTIFACT_TOO_LARGE',
  'JOBGATE_ERR_RANGE_NOT_SATISFIABLE',
  'JOBGATE_ERR_LINK_EXPIRED',
  'JOBGATE_ERR_ARTIFACT_STORE_UNAVAILABLE',
  'JOBGATE_ERR_ILLEGAL_TRANSITION',
  'JOBGATE_ERR_LEASE_LOST',
  'JOBGATE_ERR_QUEUE_LIMIT_REACHED',
  'JOBGATE_ERR_IDEMPOTENCY_CONFLICT',
  'JOBGATE_ERR_KEY_PROTECTED',
  'JOBGATE_ERR_REQUEST_TIMEOUT',
  'JOBGATE_ERR_BODY_TOO_LARGE',
  'JOBGATE_ERR_UNSUPPORTED_MEDIA_TYPE',
  'JOBGATE_ERR_UNPROCESSABLE',
  'JOBGATE_ERR_HEADERS_TOO_LARGE',
  'JOBGATE_ERR_RATE_LIMITED',
  'JOBGATE_ERR_QUOTA_EXHAUSTED',
  'JOBGATE_ERR_QUEUE_FULL',
  'JOBGATE_ERR_STORE_UNAVAILABLE',
  'JOBGATE_ERR_SHUTTING_DOWN',
  'JOBGATE_ERR_INTERNAL',
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export class JobgateApiError extends Error {
  readonly status: number;
  readonly code: ApiErrorCode | 'JOBGATE_ERR_NETWORK';
  readonly details: unknown;
  readonly retryAfterSec: number | null;

  constructor(
    status: number,
    code: ApiErrorCode | 'JOBGATE_ERR_NETWORK',
    message: string,
    details?: unknown,
    retryAfterSec?: number | null,
  ) {
    super(message);
    this.name = 'JobgateApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfterSec = retryAfterSec ?? null;
  }
}

export const isApiError = (error: unknown): error is JobgateApiError => error instanceof JobgateApiError;
export const isNotFoundError = (error: unknown) => isApiError(error) && error.status === 404;
export const isRateLimitedError = (error: unknown) =>
  isApiError(error) && error.code === 'JOBGATE_ERR_RATE_LIMITED';
export const isQueueFullError = (error: unknown) =>
  isApiError(error) && error.code === 'JOBGATE_ERR_QUEUE_FULL';
export const isConflictError = (error: unknown) => isApiError(error) && error.status === 409;
