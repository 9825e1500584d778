/**
 * `POST /hooks/:name`: inbound hooks from the config file. No API key: the signature is
 * the credential, checked over the raw body — so this plugin keeps the body as bytes
 * (its own content-type parser) and parses it only after the check.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { JobgateError } from '../../domain/errors.js';
import type { InboundHooks } from '../../engine/hooks/inbound-hooks.js';
import { jobDto } from '../job-dto.js';
import { errorResponses, JobSchema } from '../schemas.js';

const HookAnswer = Type.Object({
  status: Type.Union([Type.Literal('accepted'), Type.Literal('duplicate'), Type.Literal('ignored')]),
  event: Type.Union([Type.String(), Type.Null()]),
  job: Type.Optional(JobSchema),
});

export const hookRoutes: FastifyPluginAsyncTypebox<{ hooks: InboundHooks; bodyLimit: number }> = async (
  app,
  { hooks, bodyLimit },
) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    /^application\/([a-z0-9.+-]*\+)?json(;.*)?$/i,
    { parseAs: 'buffer', bodyLimit },
    (_request, body, done) => done(null, body),
  );

  app.post(
    '/hooks/:name',
    {
      schema: {
        summary: 'An inbound hook: a signed sender (GitHub, Standard Webhooks, HMAC) submits a job',
        description:
          'The signature is checked over the raw body first (401 when missing or wrong, or a timestamp is outside 5 min). ' +
          '202 accepted with the job; 200 duplicate for a repeated delivery id (the same job); 202 ignored for an event the hook does not list.',
        params: Type.Object({ name: Type.String({ maxLength: 64 }) }),
        response: { 200: HookAnswer, 202: HookAnswer, ...errorResponses },
      },
    },
    async (request, reply) => {
      const raw = request.body;
      if (!Buffer.isBuffer(raw))
        throw new JobgateError('JOBGATE_ERR_BAD_REQUEST', 'A hook needs a JSON body');
      const outcome = await hooks.receive(request.params.name, request.headers, raw);
      if (outcome.status === 'ignored')
        return reply.code(202).send({ status: 'ignored', event: outcome.event });
      return reply.code(outcome.status === 'duplicate' ? 200 : 202).send({
        status: outcome.status,
        event: outcome.event,
        job: jobDto(outcome.job, {}, { role: 'tenant' }),
      });
    },
  );
};
