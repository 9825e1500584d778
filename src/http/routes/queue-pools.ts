/**
 * A queue's worker pool over HTTP: warm it up (idempotent: never starts a worker when
 * one is ready, idle or already starting) and read it. Its min/max change live through
 * PATCH /queues/:queue (routes/queue-settings.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { PoolManager, PoolStatus } from '../../pool/pool-manager.js';
import { iso } from '../iso-time.js';
import { errorResponses } from '../schemas.js';

const QueueParams = Type.Object({ queue: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' }) });

const WarmupAnswer = Type.Object({
  queue: Type.String(),
  status: Type.Union(
    [Type.Literal('noop'), Type.Literal('started'), Type.Literal('starting'), Type.Literal('at_capacity')],
    {
      description:
        'noop: a worker is ready or idle · started: this call started one · starting: one is initializing, ' +
        'nothing more was started · at_capacity: the pool is at max and every worker is busy',
    },
  ),
  workersReady: Type.Integer({ description: 'Slots ready or idle' }),
  workersInitializing: Type.Integer(),
  workersRunning: Type.Integer(),
  started: Type.Array(Type.String(), { description: 'Workers this call started' }),
});

/** The pool as the API shows it: times as ISO 8601. */
export function poolView(status: PoolStatus) {
  const { crashLoop } = status;
  return {
    ...status,
    crashLoop: crashLoop && {
      crashes: crashLoop.crashes,
      reason: crashLoop.reason,
      lastCrashAt: iso(crashLoop.lastCrashAt),
      nextStartAt: iso(crashLoop.nextStartAt),
    },
  };
}

export const PoolAnswer = Type.Object({
  queue: Type.String(),
  provider: Type.String(),
  min: Type.Integer(),
  max: Type.Integer(),
  idleTimeoutSec: Type.Number(),
  concurrency: Type.Integer({ description: 'Jobs one pool worker runs at once' }),
  workers: Type.Array(
    Type.Object({
      id: Type.String(),
      phase: Type.Union([Type.Literal('initializing'), Type.Literal('live'), Type.Literal('stopping')]),
    }),
  ),
  crashLoop: Type.Union(
    [
      Type.Object({
        crashes: Type.Integer({ description: 'Workers that failed in a row' }),
        reason: Type.String({ description: 'Why the last one did: its exit and last output line' }),
        lastCrashAt: Type.String({ format: 'date-time' }),
        nextStartAt: Type.String({ format: 'date-time', description: 'Starts are held back until then' }),
      }),
      Type.Null(),
    ],
    { description: 'Set while the pool’s workers keep failing; null once one stays up' },
  ),
});

/** The pool's part of PATCH /queues/:queue (routes/queue-settings.ts). */
export const poolChangeFields = {
  min: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  max: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  idleTimeoutSec: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 7 * 24 * 3600 })),
};

export const queuePoolRoutes: FastifyPluginAsyncTypebox<{ pools: PoolManager }> = async (app, { pools }) => {
  const tags = ['pools'];

  app.post(
    '/queues/:queue/warmup',
    {
      schema: {
        tags,
        summary:
          'Make sure a worker is ready for the queue, starting one only when none is ready or starting',
        params: QueueParams,
        response: { 200: WarmupAnswer, ...errorResponses },
      },
    },
    async (request) => pools.warmup(request.params.queue),
  );

  // The dashboard reads this list rather than asking each queue for its pool, so a
  // queue without one costs no 422 (an error answer counted in the metrics).
  app.get(
    '/pools',
    {
      config: { roles: ['admin'] as const },
      schema: {
        tags,
        summary: 'Every queue’s pool (queues without one are not listed)',
        response: { 200: Type.Object({ items: Type.Array(PoolAnswer) }), ...errorResponses },
      },
    },
    async () => ({ items: pools.queues().map((queue) => poolView(pools.status(queue))) }),
  );

  app.get(
    '/queues/:queue/pool',
    {
      config: { roles: ['admin'] as const },
      schema: {
        tags,
        summary: 'The queue’s pool: settings in force and the workers it started',
        params: QueueParams,
        response: { 200: PoolAnswer, ...errorResponses },
      },
    },
    async (request) => poolView(pools.status(request.params.queue)),
  );
};
