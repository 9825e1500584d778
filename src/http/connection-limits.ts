/**
 * How long the server waits for a client, and how many it holds at once: the defences
 * against slow clients (slowloris: headers or a body sent a byte at a time) and
 * descriptor exhaustion. Node judges them on the socket, before any route runs:
 *
 * - `headersTimeoutMs`: the request line and headers must arrive within this.
 * - `requestTimeoutMs`: the whole request, body included, must arrive within this (the
 *   body-read deadline). A response that streams for long (SSE, a WebSocket, a worker's
 *   long-poll lease) is not a request being received, so none of them is cut by it.
 * - `idleTimeoutMs`: a socket with no bytes either way for this long is closed. Above
 *   the longest silence a live route keeps: an SSE keep-alive comes every 15 s, a
 *   lease long-poll answers within 30 s, and a WebSocket (whose socket ws takes over)
 *   pings on its own.
 * - `keepAliveTimeoutMs`: an idle keep-alive connection between requests.
 * - `maxConnections`: sockets at once; more are refused at accept.
 *
 * Node checks the two request deadlines every `checkIntervalMs`, so a deadline is met
 * within that much more. Malformed HTTP (a bad request line, headers over the limit, a
 * timeout) is answered with the API's error body by `clientErrorHandler`.
 */
import type { Socket } from 'node:net';
import { ERROR_CODES, type ErrorCode } from '../domain/errors.js';

export interface ConnectionLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  checkIntervalMs: number;
}

export const connectionLimitsDefault: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  keepAliveTimeoutMs: 72_000,
  maxConnections: 10_000,
  checkIntervalMs: 1_000,
};

export function resolveConnectionLimits(given: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const limits = { ...connectionLimitsDefault, ...given };
  for (const [name, value] of Object.entries(limits))
    if (!(Number.isInteger(value) && value > 0)) throw new Error(`${name} must be a positive integer`);
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new Error('headersTimeoutMs must not be above requestTimeoutMs');
  return limits;
}

/** The Fastify options that carry the limits (maxConnections is set on the server after). */
export function connectionOptions(limits: ConnectionLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    clientErrorHandler,
  };
}

function clientErrorCode(error: NodeJS.ErrnoException): ErrorCode {
  if (error.code === 'HPE_HEADER_OVERFLOW') return 'JOBGATE_ERR_HEADERS_TOO_LARGE';
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'JOBGATE_ERR_REQUEST_TIMEOUT';
  return 'JOBGATE_ERR_BAD_REQUEST';
}

const clientErrorMessages: Partial<Record<ErrorCode, string>> = {
  JOBGATE_ERR_BAD_REQUEST: 'The request is not valid HTTP/1.1.',
};

/**
 * Node's `clientError`: the request never reached a route, so the answer is written to
 * the socket by hand, in the API's error format, and the connection closed.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code = clientErrorCode(error);
  const { status } = ERROR_CODES[code];
  const message = clientErrorMessages[code] ?? ERROR_CODES[code].message;
  const body = JSON.stringify({ error: { code, message } });
  const reason = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' }[
    status as 400 | 408 | 431
  ];
  // A response already under way (headers sent) cannot get a second one: just close.
  const response = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !response?.headersSent) {
    socket.write(
      `HTTP/1.1 ${status} ${reason ?? 'Bad Request'}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
