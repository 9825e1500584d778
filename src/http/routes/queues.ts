/**
 * Queue visibility and control: every queue with its counts, one queue's status,
 * statistics and running jobs, and (admin) pause, resume and clear. The logic lives
 * in engine/queue-status.ts, queue-stats.ts and queue-control.ts; docs/VISIBILITY.md
 * defines every figure.
 *
 * Aggregates (counts, status, stats) are shown to tenants too: they name no job.
 * The running-jobs list is scoped like every job list: a tenant sees its own.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { JobgateError } from '../../domain/errors.js';
import type { Job } from '../../domain/job.js';
import type { Engine } from '../../engine/engine.js';
import { clearQueue, pauseQueue, resumeQueue } from '../../engine/queue-control.js';
import { queueStats } from '../../engine/queue-stats.js';
import { knownQueues, queueStatus } from '../../engine/queue-status.js';
import { iso } from '../iso-time.js';
import {
  ActiveJobSchema,
  ActiveQuery,
  QueueParams,
  QueueStatsSchema,
  QueueStatusSchema,
} from '../queue-schemas.js';
import { errorResponses } from '../schemas.js';

const activeView = (job: Job) => ({
  id: job.id,
  type: job.type,
  owner: job.owner,
  projectId: job.projectId,
  workerId: job.workerId,
  progress: job.progress,
  attempts: job.attempts,
  maxAttempts: job.maxAttempts,
  startedAt: iso(job.startedAt),
  leaseExpiresAt: iso(job.leaseExpiresAt),
  cancelRequested: job.cancelRequested,
});

export const queueRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  const tags = ['queues'];
  const admin = { roles: ['admin'] };

  app.get(
    '/queues',
    {
      schema: {
        tags,
        summary: 'Every queue with its status and counts',
        response: { 200: Type.Object({ items: Type.Array(QueueStatusSchema) }), ...errorResponses },
      },
    },
    async () => {
      const queues = await knownQueues(engine);
      return { items: await Promise.all(queues.map((queue) => queueStatus(engine, queue))) };
    },
  );

  app.get(
    '/queues/:queue/status',
    {
      schema: {
        tags,
        summary: 'A queue’s status: workers, jobs by state, estimated wait',
        description:
          'A part the store could not give in time is null and explained in `errors` (status `unknown`).',
        params: QueueParams,
        response: { 200: QueueStatusSchema, ...errorResponses },
      },
    },
    async (request) => queueStatus(engine, request.params.queue),
  );

  app.get(
    '/queues/:queue/stats',
    {
      schema: {
        tags,
        summary: 'Throughput, success rate, run and wait time (p50/p95) over the last hour and day',
        params: QueueParams,
        response: { 200: QueueStatsSchema, ...errorResponses },
      },
    },
    async (request) => {
      const stats = await queueStats(engine, request.params.queue);
      const window = (w: (typeof stats.windows)['hour']) => ({ ...w, since: iso(w.since) });
      return {
        queue: stats.queue,
        at: iso(stats.at),
        windows: { hour: window(stats.windows.hour), day: window(stats.windows.day) },
      };
    },
  );

  app.get(
    '/queues/:queue/active',
    {
      schema: {
        tags,
        summary: 'Running jobs of a queue, with their worker and progress',
        params: QueueParams,
        querystring: ActiveQuery,
        response: {
          200: Type.Object({
            items: Type.Array(ActiveJobSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
      if (limit < 1 || limit > 500)
        throw new JobgateError('JOBGATE_ERR_VALIDATION', 'querystring.limit must be within [1, 500]');
      const page = await engine.list(
        { queue: request.params.queue, status: 'running', limit, cursor: request.query.cursor },
        request.principal,
      );
      return { items: page.items.map(activeView), nextCursor: page.nextCursor };
    },
  );

  const paused = Type.Object({ queue: Type.String(), paused: Type.Boolean() });
  app.post(
    '/queues/:queue/pause',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Pause a queue: jobs are still admitted, none is handed out',
        params: QueueParams,
        response: { 200: paused, ...errorResponses },
      },
    },
    async (request) => {
      await engine.queueCatalog.mustExist(request.params.queue);
      await pauseQueue(engine, request.params.queue);
      return { queue: request.params.queue, paused: true };
    },
  );

  app.post(
    '/queues/:queue/resume',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Resume a paused queue',
        params: QueueParams,
        response: { 200: paused, ...errorResponses },
      },
    },
    async (request) => {
      await engine.queueCatalog.mustExist(request.params.queue);
      await resumeQueue(engine, request.params.queue);
      return { queue: request.params.queue, paused: false };
    },
  );

  app.post(
    '/queues/:queue/clear',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Delete every waiting job (queued, scheduled, awaiting confirmation) of a queue',
        description: 'Running jobs are left alone. Each deleted job gets a `removed` event.',
        params: QueueParams,
        response: { 200: Type.Object({ queue: Type.String(), cleared: Type.Integer() }), ...errorResponses },
      },
    },
    async (request) => {
      await engine.queueCatalog.mustExist(request.params.queue);
      return { queue: request.params.queue, cleared: await clearQueue(engine, request.params.queue) };
    },
  );
};
