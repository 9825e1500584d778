/**
 * `GET /metrics` in the Prometheus text format, and the hook that counts error
 * answers. With a token (option `metricsToken`, env JOBGATE_METRICS_TOKEN) the route
 * needs `Authorization: Bearer <token>`; it never takes an API key, so a scraper
 * holds no power over jobs.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { JobgateError } from '../domain/errors.js';
import type { Engine } from '../engine/engine.js';
import type { WebhookService } from '../engine/webhooks/webhook-service.js';
import { toJobgateError } from './error-handler.js';
import { createJobMetrics, type PoolSource } from './job-metrics.js';
import { errorResponses } from './schemas.js';
import { registerWebhookMetrics } from './webhook-metrics.js';

export async function registerMetrics(
  app: FastifyInstance,
  options: { engine: Engine; token?: string; webhooks?: WebhookService; pools?: PoolSource },
): Promise<void> {
  const metrics = createJobMetrics(options.engine, undefined, options.pools);
  app.addHook('onClose', async () => metrics.close());
  if (options.webhooks) {
    const stop = registerWebhookMetrics(metrics.registry, options.webhooks);
    app.addHook('onClose', async () => stop());
  }
  // Runs after the error handler answered: every error answer is counted by its code.
  app.addHook('onError', async (request, _reply, error: FastifyError) => {
    metrics.countError(toJobgateError(error).code, request.principal?.tier);
  });
  // By route pattern (`/api/v1/jobs/:id`), so a scan of random URLs adds no series.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
  });

  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : null;
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        description:
          'Text format 0.0.4. Needs `Authorization: Bearer <JOBGATE_METRICS_TOKEN>` when the server has one.',
        response: {
          200: {
            description: 'Metrics in the Prometheus text format',
            content: { 'text/plain': { schema: Type.String() } },
          },
          401: errorResponses[401],
        },
      },
    },
    async (request, reply) => {
      if (expected) {
        const presented = Buffer.from(request.headers.authorization ?? '');
        if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
          throw new JobgateError('JOBGATE_ERR_UNAUTHORIZED', 'Send Authorization: Bearer <metrics token>');
        }
      }
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    },
  );
}
