import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { readDeadlineMsDefault, withDeadline } from '../../engine/deadline.js';
import type { Engine } from '../../engine/engine.js';
import { WorkerCountsSchema } from '../queue-schemas.js';

const startedAt = Date.now();

const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  store: Type.Object({
    name: Type.String(),
    ok: Type.Boolean(),
    latencyMs: Type.Union([Type.Number(), Type.Null()]),
    error: Type.Optional(Type.String()),
  }),
  workers: Type.Record(Type.String(), WorkerCountsSchema, {
    description: 'Worker slots by state, per queue that has workers',
  }),
  version: Type.String(),
  uptimeSec: Type.Number(),
});

/**
 * `/health` always answers 200 and says what is wrong; `/ready` answers 503 when
 * degraded, for load balancers. A store that does not answer the ping within the
 * deadline counts as unreachable, so neither route hangs on it.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<{ engine: Engine; version: string }> = async (
  app,
  { engine, version },
) => {
  const tags = ['health'];
  const report = async () => {
    const store = await withDeadline(engine.health(), readDeadlineMsDefault, 'the ping').catch(
      (error: Error) => ({ ok: false, latencyMs: null, error: error.message }),
    );
    const workers = Object.fromEntries(
      engine.workers.queues().map((queue) => [queue, engine.workers.states(queue)]),
    );
    return {
      status: store.ok ? ('ok' as const) : ('degraded' as const),
      store: { name: engine.store.name, ...store },
      workers,
      version,
      uptimeSec: Math.round((Date.now() - startedAt) / 1000),
    };
  };
  app.get(
    '/health',
    {
      schema: {
        tags,
        summary: 'Store reachability and latency, workers, version, uptime',
        response: { 200: HealthBody },
      },
    },
    report,
  );
  app.get(
    '/ready',
    {
      schema: {
        tags,
        summary: 'Readiness for load balancers: 503 while the store is unreachable',
        response: { 200: HealthBody, 503: HealthBody },
      },
    },
    async (_request, reply) => {
      const body = await report();
      return reply.code(body.status === 'ok' ? 200 : 503).send(body);
    },
  );
};
