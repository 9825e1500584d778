import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Engine } from '../../engine/engine.js';

const startedAt = Date.now();

const HealthBody = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  store: Type.Object({
    name: Type.String(),
    ok: Type.Boolean(),
    latencyMs: Type.Union([Type.Number(), Type.Null()]),
    error: Type.Optional(Type.String()),
  }),
  version: Type.String(),
  uptimeSec: Type.Number(),
});

/** `/health` always answers 200 and says what is wrong; `/ready` answers 503 when degraded, for load balancers. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ engine: Engine; version: string }> = async (
  app,
  { engine, version },
) => {
  const report = async () => {
    const store = await engine.health();
    return {
      status: store.ok ? ('ok' as const) : ('degraded' as const),
      store: { name: engine.store.name, ...store },
      version,
      uptimeSec: Math.round((Date.now() - startedAt) / 1000),
    };
  };
  app.get('/health', { schema: { response: { 200: HealthBody } } }, report);
  app.get(
    '/ready',
    { schema: { response: { 200: HealthBody, 503: HealthBody } } },
    async (_request, reply) => {
      const body = await report();
      return reply.code(body.status === 'ok' ? 200 : 503).send(body);
    },
  );
};
