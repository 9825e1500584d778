import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApiKeys } from '../../engine/api-keys.js';
import { iso } from '../iso-time.js';
import { errorResponses } from '../schemas.js';

const Role = Type.Union([Type.Literal('admin'), Type.Literal('tenant'), Type.Literal('worker')]);
const KeyRecord = Type.Object({
  id: Type.String(),
  prefix: Type.String(),
  owner: Type.String(),
  role: Role,
  tier: Type.String(),
  name: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  protected: Type.Boolean({
    description: 'A pool’s key (a server’s pool workers use it): revoking it answers 409 unless ?force=true',
  }),
});

/** Admin-only key management. */
export const keyRoutes: FastifyPluginAsyncTypebox<{ keys: ApiKeys }> = async (app, { keys }) => {
  const view = (record: Awaited<ReturnType<ApiKeys['list']>>[number]) => ({
    ...record,
    createdAt: iso(record.createdAt),
    revokedAt: iso(record.revokedAt),
    protected: keys.isProtected(record),
  });
  const config = { roles: ['admin'] };
  app.post(
    '/keys',
    {
      config,
      schema: {
        summary: 'Create an API key (the key is shown once, in this response)',
        body: Type.Object(
          {
            owner: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$' }),
            role: Role,
            tier: Type.String({ minLength: 1, maxLength: 64 }),
            name: Type.Optional(Type.String({ maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ key: Type.String(), record: KeyRecord }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const { key, record } = await keys.create(request.body);
      return reply.code(201).send({ key, record: view(record) });
    },
  );

  app.get(
    '/keys',
    {
      config,
      schema: {
        summary: 'List API keys (never their secrets)',
        response: { 200: Type.Object({ items: Type.Array(KeyRecord) }), ...errorResponses },
      },
    },
    async () => ({ items: (await keys.list()).map(view) }),
  );

  app.delete(
    '/keys/:id',
    {
      config,
      schema: {
        summary: 'Revoke an API key at once',
        params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
        querystring: Type.Object(
          {
            force: Type.Optional(
              Type.Union([Type.Literal('true'), Type.Literal('false')], {
                description: '`true` revokes another (gone) server’s pool key; a running server’s own stays',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await keys.revoke(request.params.id, { force: request.query.force === 'true' });
      return reply.code(204).send(null);
    },
  );
};
