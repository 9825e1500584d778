/**
 * Per-key rate limiting: @fastify/rate-limit does the HTTP side (headers, 429,
 * Retry-After); the counting is a token bucket kept in the job store, so the limit
 * holds across every server sharing that store. The plugin's fixed-window vocabulary
 * maps onto the bucket: `max` = burst, `timeWindow` = ms to refill one token,
 * `current` = tokens spent, `ttl` = until the bucket is full.
 *
 * Headers follow the IETF RateLimit fields draft (draft-ietf-httpapi-ratelimit-headers):
 * `X-RateLimit-Reset` is always the seconds until the quota resets — for a token bucket,
 * until it is full again, so `Remaining` is back at `Limit` — on a 429 as on any answer;
 * a 429's `Retry-After` is the seconds until the next token, when a retry can pass.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JobgateError } from '../domain/errors.js';
import type { Engine } from '../engine/engine.js';
import type { Principal } from '../engine/principal.js';

export interface RateSettings {
  ratePerMinute: number;
  burst: number;
}

type IncrCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;

export async function registerRateLimit(
  app: FastifyInstance,
  engine: Engine,
  rateFor: (principal: Principal) => RateSettings | null,
): Promise<void> {
  const settings = (request: FastifyRequest) => (request.principal ? rateFor(request.principal) : null);

  class StoreBucket {
    // The plugin passes (timeWindow, max) after the callback at run time; its typings omit them.
    incr(key: string, callback: IncrCallback, refillMs = 1_000, capacity = 1): void {
      engine.takeToken({ key: `rate:${key}`, capacity, refillMs }).then(
        (taken) =>
          callback(null, {
            current: taken.allowed ? capacity - taken.remaining : capacity + 1,
            // Refused, the store answers until the next token; the bucket is full the
            // other capacity − 1 tokens later.
            ttl: taken.allowed ? taken.resetMs : taken.resetMs + (capacity - 1) * refillMs,
          }),
        (error: Error) => callback(error),
      );
    }

    child(): StoreBucket {
      return this;
    }
  }

  await app.register(rateLimit, {
    global: true,
    store: StoreBucket,
    // A bucket the store cannot count (an outage) lets the request through: the route then
    // answers from memory (a partial queue status) or with its own 503, never a blanket one.
    skipOnError: true,
    // Requests with no principal (health, docs, metrics) and unlimited tiers are not counted.
    allowList: (request) => settings(request) === null,
    keyGenerator: (request) => request.principal?.keyId ?? request.ip,
    max: (request) => settings(request)?.burst ?? 1,
    timeWindow: (request) => 60_000 / (settings(request)?.ratePerMinute ?? 60),
    errorResponseBuilder: (request, context) => {
      // context.ttl is until the bucket is full (see incr): the next token comes max − 1 refills sooner.
      const refillMs = 60_000 / (settings(request)?.ratePerMinute ?? 60);
      const retryAfterSec = Math.max(1, Math.ceil((context.ttl - (context.max - 1) * refillMs) / 1000));
      return new JobgateError(
        'JOBGATE_ERR_RATE_LIMITED',
        `Rate limit exceeded: retry in ${retryAfterSec} s`,
        {
          retryAfterSec,
        },
      );
    },
  });
}
