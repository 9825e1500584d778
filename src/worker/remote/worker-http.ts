/**
 * One HTTP call of the worker protocol, and the mapping of its failures:
 *   - the server could not be reached, timed out, or answered 5xx/429 → WorkerConnectionError
 *     (worth retrying: the server is away or overloaded);
 *   - any other error answer → JobgateError with the server's code, so the runtime can
 *     tell a lost lease (409 JOBGATE_ERR_LEASE_LOST) from the rest.
 * fetch's own failures are TypeErrors; they never leave here as one, since the runtime
 * reads a TypeError from `complete` as "the result cannot be stored as JSON".
 */
import { Readable } from 'node:stream';
import { ERROR_CODES, type ErrorCode, JobgateError } from '../../domain/errors.js';

/** A request body streamed as it is read (an artifact upload), with its own headers. */
export interface StreamBody {
  stream: Readable;
  headers: Record<string, string>;
}

export class WorkerConnectionError extends Error {
  /** 0 when no answer came. */
  readonly status: number;
  readonly retryAfterSec: number | null;

  constructor(message: string, status = 0, retryAfterSec: number | null = null) {
    super(message);
    this.name = 'WorkerConnectionError';
    this.status = status;
    this.retryAfterSec = retryAfterSec;
  }
}

export const isConnectionError = (error: unknown): error is WorkerConnectionError =>
  error instanceof WorkerConnectionError;

export interface HttpTarget {
  url: string;
  key: string;
  fetch: typeof fetch;
}

export async function callServer<T>(
  target: HttpTarget,
  method: string,
  path: string,
  body: string | StreamBody | undefined,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  const onAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let response: Response;
  let text: string;
  try {
    const streamed = typeof body === 'object' ? body : null;
    response = await target.fetch(`${target.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.key}`,
        accept: 'application/json',
        ...(body === undefined ? {} : streamed ? streamed.headers : { 'content-type': 'application/json' }),
      },
      body: streamed ? (Readable.toWeb(streamed.stream) as ReadableStream<Uint8Array>) : body,
      signal: controller.signal,
      // A streamed body (Node's fetch requires saying so).
      ...(streamed ? { duplex: 'half' } : {}),
    } as RequestInit);
    text = await response.text();
  } catch (error) {
    const why = controller.signal.aborted
      ? options.signal?.aborted
        ? 'aborted'
        : `no answer in ${options.timeoutMs} ms`
      : errorText(error);
    throw new WorkerConnectionError(`${method} ${path}: cannot reach ${target.url}: ${why}`);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
  const json = parse(text);
  if (response.ok) return json as T;
  const error = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
    ?.error;
  const message = error?.message ?? `${response.status} ${response.statusText}`;
  if (response.status >= 500 || response.status === 429) {
    const retryAfter = Number(response.headers.get('retry-after'));
    throw new WorkerConnectionError(
      `${method} ${path}: ${error?.code ?? response.status}: ${message}`,
      response.status,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null,
    );
  }
  const code: ErrorCode =
    error?.code && error.code in ERROR_CODES ? (error.code as ErrorCode) : fallbackCode(response.status);
  const details =
    error?.details && typeof error.details === 'object'
      ? (error.details as Record<string, unknown>)
      : undefined;
  throw new JobgateError(code, message, { details });
}

function fallbackCode(status: number): ErrorCode {
  if (status === 401) return 'JOBGATE_ERR_UNAUTHORIZED';
  if (status === 403) return 'JOBGATE_ERR_FORBIDDEN';
  if (status === 404) return 'JOBGATE_ERR_NOT_FOUND';
  if (status === 409) return 'JOBGATE_ERR_ILLEGAL_TRANSITION';
  return 'JOBGATE_ERR_BAD_REQUEST';
}

function parse(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorText(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}
