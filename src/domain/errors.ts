/**
 * The one error registry. Every failure a caller can see has a code here with its
 * HTTP status; store backends return codes, engine/ throws `JobgateError`, http/
 * renders `{error: {code, message, details?}}`. docs/ERRORS.md and the client SDK's
 * error codes are checked against this table by test/unit/errors-registry.test.ts.
 */
export const ERROR_CODES = {
  JOBGATE_ERR_BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  JOBGATE_ERR_VALIDATION: { status: 400, message: 'The request does not match the schema.' },
  JOBGATE_ERR_UNAUTHORIZED: { status: 401, message: 'A valid API key is required.' },
  JOBGATE_ERR_FORBIDDEN: { status: 403, message: "This key's role may not do that." },
  JOBGATE_ERR_NOT_FOUND: { status: 404, message: 'No such resource.' },
  JOBGATE_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'The path exists, but not with this method.' },
  JOBGATE_ERR_JOB_NOT_FOUND: { status: 404, message: 'No such job.' },
  JOBGATE_ERR_QUEUE_NOT_FOUND: { status: 404, message: 'No such queue.' },
  JOBGATE_ERR_WORKER_NOT_FOUND: {
    status: 404,
    message: 'No such worker: it deregistered or was forgotten; register again.',
  },
  JOBGATE_ERR_SCHEDULE_NOT_FOUND: { status: 404, message: 'No such schedule.' },
  JOBGATE_ERR_SCHEDULE_EXISTS: { status: 409, message: 'A schedule with this name exists.' },
  JOBGATE_ERR_WEBHOOK_NOT_FOUND: { status: 404, message: 'No such webhook subscription.' },
  JOBGATE_ERR_WEBHOOK_TARGET_REFUSED: {
    status: 400,
    message: 'The webhook target is a refused address (loopback, private, link-local, metadata…).',
  },
  JOBGATE_ERR_HOOK_SIGNATURE_INVALID: {
    status: 401,
    message: 'The inbound hook’s signature is missing, wrong, or its timestamp is outside the tolerance.',
  },
  JOBGATE_ERR_ARTIFACT_NOT_FOUND: { status: 404, message: 'No such artifact.' },
  JOBGATE_ERR_ARTIFACT_NAME_INVALID: {
    status: 400,
    message: 'An artifact name is one path segment of printable text (no slash, no control characters).',
  },
  JOBGATE_ERR_ARTIFACT_TOO_LARGE: { status: 413, message: 'The artifact is over the size limit.' },
  JOBGATE_ERR_RANGE_NOT_SATISFIABLE: { status: 416, message: 'The requested range is outside the artifact.' },
  JOBGATE_ERR_LINK_EXPIRED: { status: 410, message: 'The signed link has expired; ask for a new one.' },
  JOBGATE_ERR_ARTIFACT_STORE_UNAVAILABLE: { status: 503, message: 'The artifact store is unreachable.' },
  JOBGATE_ERR_ILLEGAL_TRANSITION: { status: 409, message: 'The job is not in a state that allows this.' },
  JOBGATE_ERR_LEASE_LOST: {
    status: 409,
    message: 'The lease token is not the current one: the job was re-leased.',
  },
  JOBGATE_ERR_QUEUE_LIMIT_REACHED: {
    status: 409,
    message: 'No such queue, and no more queues may be made by submits.',
  },
  JOBGATE_ERR_IDEMPOTENCY_CONFLICT: {
    status: 409,
    message: 'This Idempotency-Key was used with another request body.',
  },
  JOBGATE_ERR_KEY_PROTECTED: {
    status: 409,
    message: 'This key is the server’s own (its pool workers use it) and cannot be revoked.',
  },
  JOBGATE_ERR_REQUEST_TIMEOUT: {
    status: 408,
    message: 'The request did not arrive in time (headers or body too slow).',
  },
  JOBGATE_ERR_BODY_TOO_LARGE: { status: 413, message: 'The request body is over the limit.' },
  JOBGATE_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send application/json.' },
  JOBGATE_ERR_UNPROCESSABLE: { status: 422, message: 'The request is well-formed but cannot be processed.' },
  JOBGATE_ERR_HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are over the limit.' },
  JOBGATE_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests for this API key.' },
  JOBGATE_ERR_QUOTA_EXHAUSTED: { status: 429, message: 'The daily quota has no day with room left.' },
  JOBGATE_ERR_QUEUE_FULL: { status: 503, message: 'The queue is full.' },
  JOBGATE_ERR_STORE_UNAVAILABLE: { status: 503, message: 'The job store is unreachable.' },
  JOBGATE_ERR_SHUTTING_DOWN: { status: 503, message: 'The server is shutting down.' },
  JOBGATE_ERR_INTERNAL: { status: 500, message: 'Internal error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class JobgateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  /** Seconds the caller should wait before retrying (429, 503). */
  readonly retryAfterSec: number | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { details?: Record<string, unknown>; retryAfterSec?: number; cause?: unknown } = {},
  ) {
    super(
      message ?? ERROR_CODES[code].message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'JobgateError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = options.details;
    this.retryAfterSec = options.retryAfterSec;
  }
}

export function isJobgateError(error: unknown): error is JobgateError {
  return error instanceof JobgateError;
}
