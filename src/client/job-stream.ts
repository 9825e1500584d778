/**
 * Following a job's Server-Sent Events with fetch alone (no EventSource, so it can
 * send the Authorization header, and no server imports): `parseSse` turns a response
 * body into messages, `followJob` turns the stream into job events and reconnects
 * with `Last-Event-ID` when the connection drops before the job's final event, so a
 * dropped connection loses nothing the server still holds.
 */
import { JobgateApiError } from './errors.js';
import type { JobEvent } from './operator-types.js';
import { type JobStatus, terminalStatuses } from './types.js';

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/**
 * The SSE wire format (WHATWG HTML §9.2): lines end in LF, CR or CRLF; `field: value`
 * lines accumulate until a blank line dispatches them; `:` lines are comments (the
 * server's keep-alives); several `data:` lines join with newlines.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | null = null;
  let event = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (let end = buffer.search(/\r\n|\r|\n/); end >= 0; end = buffer.search(/\r\n|\r|\n/)) {
        // A lone CR at the end of the buffer may be half of a CRLF still in transit.
        if (!done && buffer[end] === '\r' && end === buffer.length - 1) break;
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const raw = colon < 0 ? '' : line.slice(colon + 1);
        const value = raw.startsWith(' ') ? raw.slice(1) : raw;
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id' && !value.includes('\0')) id = value;
      }
      if (done) return;
    }
  } finally {
    // Stops the download when the consumer leaves early.
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** Whether a job's stream has nothing more to say after this event. */
export function isFinalEvent(event: Pick<JobEvent, 'kind' | 'status'>): boolean {
  return event.kind === 'removed' || terminalStatuses.includes(event.status as JobStatus);
}

export interface FollowOptions {
  /** Resume after this event id (from an earlier stream). */
  lastEventId?: string;
  signal?: AbortSignal;
  /**
   * Reconnections in a row without an event before giving up (default 5). Only a
   * stream that was once open is retried: a first connection that fails throws at
   * once, so a caller can fall back (as `wait` does, to polling).
   */
  retries?: number;
  /** Wait before reconnecting, doubled each failed try (default 500 ms). */
  retryDelayMs?: number;
}

export interface FollowContext {
  url: string;
  headers: Record<string, string>;
  fetch: typeof fetch;
  /** Turns a non-2xx answer into the SDK's typed error. */
  toError(response: Response): Promise<JobgateApiError>;
}

export async function* followJob(
  context: FollowContext,
  options: FollowOptions = {},
): AsyncGenerator<JobEvent> {
  let lastEventId = options.lastEventId;
  const retries = options.retries ?? 5;
  let failures = 0;
  let opened = false;
  for (;;) {
    let response: Response | null = null;
    let lastError: unknown = null;
    try {
      response = await context.fetch(context.url, {
        headers: {
          ...context.headers,
          accept: 'text/event-stream',
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        },
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      lastError = error;
    }
    if (response) {
      // 204: resumed after the final event; nothing more will come.
      if (response.status === 204) return;
      // A refusal (404, 401, 403, 429) will not change by asking again; a 5xx may.
      if (!response.ok && response.status < 500) throw await context.toError(response);
      if (response.ok && response.body) {
        opened = true;
        try {
          for await (const message of parseSse(response.body)) {
            const event = JSON.parse(message.data) as JobEvent;
            if (message.id !== null) lastEventId = message.id;
            failures = 0;
            yield event;
            if (isFinalEvent(event)) return;
          }
        } catch (error) {
          if (options.signal?.aborted) throw error;
          lastError = error;
        }
      } else {
        lastError = await context.toError(response);
      }
    }
    failures++;
    if (!opened || failures > retries) {
      if (lastError instanceof JobgateApiError) throw lastError;
      const reason = lastError instanceof Error ? lastError.message : 'the stream ended before the job did';
      throw new JobgateApiError(
        0,
        'JOBGATE_ERR_NETWORK',
        `Lost the event stream of ${context.url}: ${reason}`,
      );
    }
    await sleep((options.retryDelayMs ?? 500) * 2 ** (failures - 1), options.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
