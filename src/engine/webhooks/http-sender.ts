/**
 * One webhook POST: no redirects followed (a 3xx is a failed attempt), a connect
 * timeout and a total timeout, the response read up to a cap (its first KB kept for
 * the delivery log), every resolved address checked by the target guard unless private
 * targets are allowed. Never throws: every way it can end is an outcome.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { parseRetryAfter } from '../../domain/delivery-schedule.js';
import { guardedLookup, RefusedTargetError, refusedAddressReason } from './target-guard.js';

export interface SendLimits {
  connectTimeoutMs: number;
  timeoutMs: number;
  /** Bytes of the response read before the connection is dropped. */
  maxResponseBytes: number;
  allowPrivateTargets: boolean;
}

export const sendLimitsDefault: SendLimits = {
  connectTimeoutMs: 5_000,
  timeoutMs: 15_000,
  maxResponseBytes: 64 * 1024,
  allowPrivateTargets: false,
};

export const responseExcerptBytes = 1024;

export interface SendResult {
  ok: boolean;
  responseCode: number | null;
  durationMs: number;
  response: string | null;
  error: string | null;
  retryAfterMs: number | null;
  /** The target was refused by the SSRF guard: retrying cannot help until its DNS changes. */
  refused: boolean;
}

export function sendWebhook(
  target: string,
  body: string,
  headers: Record<string, string>,
  limits: SendLimits,
): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      resolve({ ...result, durationMs: elapsed() });
    };
    const failure = (error: string, refused = false) =>
      finish({ ok: false, responseCode: null, response: null, error, retryAfterMs: null, refused });

    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return failure('Invalid URL');
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // An address literal is connected to without a lookup, so it is checked here.
    if (!limits.allowPrivateTargets && isIP(host) !== 0) {
      const reason = refusedAddressReason(host);
      if (reason) return failure(`Refused target address ${host}: ${reason}`, true);
    }
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      agent: false,
      ...(limits.allowPrivateTargets ? {} : { lookup: guardedLookup as never }),
    });
    const total = setTimeout(() => {
      request.destroy(new Error(`Timed out after ${limits.timeoutMs} ms`));
    }, limits.timeoutMs);
    request.on('socket', (socket) => {
      const connect = setTimeout(() => {
        request.destroy(new Error(`Connect timed out after ${limits.connectTimeoutMs} ms`));
      }, limits.connectTimeoutMs);
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connect));
      socket.once('close', () => clearTimeout(connect));
    });
    request.on('error', (error) => {
      failure(error.message, error instanceof RefusedTargetError);
    });
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let read = 0;
      const done = () => {
        const status = response.statusCode ?? 0;
        const excerpt = Buffer.concat(chunks).subarray(0, responseExcerptBytes).toString('utf8');
        const ok = status >= 200 && status < 300;
        const retryAfter = response.headers['retry-after'];
        finish({
          ok,
          responseCode: status,
          response: excerpt,
          error: ok
            ? null
            : status >= 300 && status < 400
              ? `Redirect (${status}) not followed`
              : `HTTP ${status}`,
          retryAfterMs:
            status === 429 || status === 503
              ? parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now())
              : null,
          refused: false,
        });
        response.destroy();
      };
      response.on('data', (chunk: Buffer) => {
        if (read < responseExcerptBytes) chunks.push(chunk);
        read += chunk.length;
        // Enough read: what the receiver says past the cap is not waited for.
        if (read >= limits.maxResponseBytes) done();
      });
      response.on('end', done);
      response.on('error', done);
    });
    request.end(body);
  });
}
