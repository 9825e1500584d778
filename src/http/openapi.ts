/**
 * The OpenAPI 3.1 document, generated from the route schemas (TypeBox emits JSON
 * Schema 2020-12, which 3.1 takes as it is: `const`, `type: "null"`), served at
 * `/openapi.json`, with Swagger UI at `/docs`. Registered before the routes, since
 * @fastify/swagger collects them as they are added.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { JobEventSchema } from './event-view.js';
import { documentHeaders, nameComponents, operationIdFor, tagFor } from './openapi-naming.js';
import { EffectivePolicySchema } from './queue-policy-schemas.js';
import { ActiveJobSchema, QueueStatsSchema, QueueStatusSchema } from './queue-schemas.js';
import { PoolAnswer } from './routes/queue-pools.js';
import { ScheduleSchema } from './routes/schedules.js';
import {
  ErrorBody,
  EstimatedWaitSchema,
  JobPageSchema,
  JobProgressSchema,
  JobSchema,
  JobStatusSchema,
  SubmitBody,
  UsageSchema,
} from './schemas.js';
import { LeasedJob, WorkerView } from './worker-schemas.js';

/** The shapes generated clients get as named types, wherever a route uses them. */
const namedSchemas: Record<string, TSchema> = {
  Job: JobSchema,
  JobPage: JobPageSchema,
  JobStatus: JobStatusSchema,
  JobProgress: JobProgressSchema,
  JobEvent: JobEventSchema,
  SubmitRequest: SubmitBody,
  Usage: UsageSchema,
  EstimatedWait: EstimatedWaitSchema,
  Error: ErrorBody,
  QueueStatus: QueueStatusSchema,
  QueueStats: QueueStatsSchema,
  ActiveJob: ActiveJobSchema,
  Worker: WorkerView,
  LeasedJob,
  QueuePolicy: EffectivePolicySchema,
  Pool: PoolAnswer,
  Schedule: ScheduleSchema,
};

export async function registerOpenApi(app: FastifyInstance, options: { version: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Jobgate',
        version: options.version,
        description:
          'A capacity-managed job queue. Errors are `{"error": {"code", "message", "details"?}}`; ' +
          'each error response lists the codes it may carry (docs/ERRORS.md). A path asked with a method ' +
          'it does not take answers 405 `JOBGATE_ERR_METHOD_NOT_ALLOWED` with an `Allow` header.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer jg_…`' },
          metricsToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'JOBGATE_METRICS_TOKEN, when the server has one',
          },
        },
      },
    },
    // Security and roles come from where a route lives and its `config.roles`, so no route repeats them;
    // an operationId and a tag from its method and path unless it names its own (openapi-naming.ts).
    transform: ({ schema, url, route }) => {
      const roles = (route.config as { roles?: readonly string[] } | undefined)?.roles;
      const transformed: Record<string, unknown> = { ...schema };
      const method = [route.method].flat()[0] ?? 'GET';
      transformed.operationId ??= operationIdFor(method, url);
      transformed.tags ??= [tagFor(url)];
      // @fastify/websocket hides its routes from the document; ours is part of the API.
      if ((route as { websocket?: boolean }).websocket) delete transformed.hide;
      if (url.startsWith('/api/')) {
        transformed.security = [{ apiKey: [] }];
        transformed['x-roles'] = roles ?? ['admin', 'tenant'];
      } else if (url === '/metrics') {
        transformed.security = [{ metricsToken: [] }, {}];
      }
      return { schema: transformed as typeof schema, url };
    },
    transformObject: (documentObject) => {
      const document = (documentObject as { openapiObject: Record<string, unknown> }).openapiObject;
      nameComponents(document, namedSchemas);
      documentHeaders(document);
      return document as never;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
