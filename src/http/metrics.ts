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
import { createJobMetrics } from './job-metrics.js';
import { errorResponses } from './schemas.js';
import { registerWebhookMetrics } from './webhook-metrics.js';

export async function registerMetrics(
  app: FastifyInstance,
  options: { engine: Engine; token?: string; webhooks?: WebhookService },
): Promise<void> {
  const metrics = createJobMetrics(options.engine);
  app.addHook('onClose', async () => metrics.close());
  if (options.webhooks) {
    const stop = registerWebhookMetrics(metrics.registry, options.webhooks);
    app.addHook('onClose', async () => stop());
  }
  // Runs after the error handler answered: every error answer is counted by its code.
  app.addHook('onError', async (_request, _reply, error: FastifyError) => {
    metrics.countError(toJobgateError(error).code);
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
