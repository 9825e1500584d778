/**
 * The OpenAPI 3.1 document, generated from the route schemas (TypeBox emits JSON
 * Schema 2020-12, which 3.1 takes as it is: `const`, `type: "null"`), served at
 * `/openapi.json`, with Swagger UI at `/docs`. Registered before the routes, since
 * @fastify/swagger collects them as they are added.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export async function registerOpenApi(app: FastifyInstance, options: { version: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Jobgate',
        version: options.version,
        description:
          'A capacity-managed job queue. Errors are `{"error": {"code", "message", "details"?}}`; ' +
          'each error response lists the codes it may carry (docs/ERRORS.md).',
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
    // Security and roles come from where a route lives and its `config.roles`, so no route repeats them.
    transform: ({ schema, url, route }) => {
      const roles = (route.config as { roles?: readonly string[] } | undefined)?.roles;
      const transformed: Record<string, unknown> = { ...schema };
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
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
