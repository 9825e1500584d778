/**
 * `GET /api/v1/queues/:queue/history`: the last hour minute by minute (finished jobs,
 * median wait and run time) for charts. Definitions in engine/queue-history.ts.
 * An aggregate that names no job, so tenants may read it like the queue status.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine/engine.js';
import { queueHistory } from '../../engine/queue-history.js';
import { iso } from '../iso-time.js';
import { errorResponses } from '../schemas.js';

const QueueParams = Type.Object({ queue: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' }) });
const nullableMs = Type.Union([Type.Number(), Type.Null()]);

const HistorySchema = Type.Object({
  queue: Type.String(),
  at: Type.String({ format: 'date-time' }),
  bucketMs: Type.Integer(),
  buckets: Type.Array(
    Type.Object({
      start: Type.String({ format: 'date-time' }),
      completed: Type.Integer(),
      failed: Type.Integer(),
      waitMsP50: nullableMs,
      runMsP50: nullableMs,
    }),
    { description: 'Oldest first; the last bucket ends now and may be partial' },
  ),
  truncated: Type.Boolean(),
});

export const queueHistoryRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  app.get(
    '/queues/:queue/history',
    {
      schema: {
        tags: ['queues'],
        summary: 'The last hour per minute: jobs finished, median wait and run time',
        params: QueueParams,
        response: { 200: HistorySchema, ...errorResponses },
      },
    },
    async (request) => {
      const history = await queueHistory(engine, request.params.queue);
      return {
        ...history,
        at: iso(history.at),
        buckets: history.buckets.map((bucket) => ({ ...bucket, start: iso(bucket.start) })),
      };
    },
  );
};
