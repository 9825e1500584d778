/**
 * Bulk actions on the jobs a filter matches (engine/bulk-actions.ts) and deleting one
 * finished job. A tenant's bulk action reaches its own jobs only.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { JobgateError } from '../../domain/errors.js';
import { type BulkFilter, bulkAction } from '../../engine/bulk-actions.js';
import type { Engine } from '../../engine/engine.js';
import { errorResponses, JobParams, JobStatusSchema } from '../schemas.js';

const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' });

const BulkBody = Type.Object(
  {
    action: Type.Union(
      [Type.Literal('retry'), Type.Literal('cancel'), Type.Literal('delete'), Type.Literal('promote')],
      {
        description:
          'retry failed/cancelled · cancel waiting or running · delete finished · promote scheduled',
      },
    ),
    filter: Type.Object(
      {
        queue: Type.Optional(Name),
        status: Type.Optional(JobStatusSchema),
        type: Type.Optional(Name),
        owner: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Admins only' })),
        createdBefore: Type.Optional(Type.String({ format: 'date-time' })),
        createdAfter: Type.Optional(Type.String({ format: 'date-time' })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const BulkAnswer = Type.Object({
  action: Type.String(),
  matched: Type.Integer({
    description: 'Jobs the filter matched (among the statuses the action applies to)',
  }),
  changed: Type.Integer({ description: 'Jobs the action changed' }),
  skipped: Type.Integer({ description: 'Matched jobs it did not apply to, or that changed meanwhile' }),
});

function time(field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at))
    throw new JobgateError('JOBGATE_ERR_VALIDATION', `${field} must be an ISO 8601 date-time`, {
      details: { field },
    });
  return at;
}

export const jobBulkRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  app.post(
    '/jobs/bulk',
    {
      schema: {
        summary: 'Retry, cancel, delete or promote every job a filter matches',
        description:
          'Done server-side page by page, one atomic store call per job, so other work keeps going. ' +
          'Without a status the action walks the statuses it applies to (retry: failed and cancelled).',
        body: BulkBody,
        response: { 200: BulkAnswer, ...errorResponses },
      },
    },
    async (request) => {
      const { createdBefore, createdAfter, ...rest } = request.body.filter;
      const filter: BulkFilter = {
        ...rest,
        createdBefore: time('filter.createdBefore', createdBefore),
        createdAfter: time('filter.createdAfter', createdAfter),
      };
      return bulkAction(engine, { action: request.body.action, filter }, request.principal);
    },
  );

  app.delete(
    '/jobs/:id',
    {
      schema: {
        summary: 'Delete a finished (completed, failed or cancelled) job',
        params: JobParams,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await engine.deleteJob(request.params.id, request.principal);
      return reply.code(204).send(null);
    },
  );
};
