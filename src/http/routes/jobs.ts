import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { JobgateError } from '../../domain/errors.js';
import type { Job } from '../../domain/job.js';
import type { Engine, SubmitOutcome } from '../../engine/engine.js';
import type { SubmitInput } from '../../engine/submit-input.js';
import { jobDto } from '../job-dto.js';
import {
  ErrorBody,
  errorResponses,
  JobPageSchema,
  JobParams,
  JobSchema,
  ListQuery,
  SubmitBody,
} from '../schemas.js';

type SubmitBodyValue = {
  queue: string;
  type?: string;
  payload?: unknown;
  priority?: number;
  runAt?: string;
  delayMs?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  projectId?: string;
  parentId?: string;
};

function toSubmitInput(body: SubmitBodyValue): SubmitInput {
  const { runAt, ...rest } = body;
  if (runAt === undefined) return rest;
  const at = Date.parse(runAt);
  if (Number.isNaN(at))
    throw new JobgateError('JOBGATE_ERR_VALIDATION', 'runAt must be an ISO 8601 date-time');
  return { ...rest, runAt: at };
}

function outcomeDto(outcome: SubmitOutcome) {
  const { job } = outcome;
  const message = outcome.deferredByQuota
    ? `Daily quota reached: the job will run at ${new Date(job.runAt).toISOString()}`
    : undefined;
  return jobDto(job, message ? { message } : {});
}

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});

export const jobRoutes: FastifyPluginAsyncTypebox<{ engine: Engine }> = async (app, { engine }) => {
  const view = (job: Job) => jobDto(job);

  app.post(
    '/jobs',
    {
      schema: {
        summary: 'Submit a job',
        body: SubmitBody,
        headers: IdempotencyHeaders,
        response: { 200: JobSchema, 202: JobSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const outcome = await engine.submit(
        toSubmitInput(request.body),
        request.principal,
        request.headers['idempotency-key'],
      );
      return reply.code(outcome.duplicate ? 200 : 202).send(outcomeDto(outcome));
    },
  );

  app.post(
    '/jobs/batch',
    {
      schema: {
        summary: 'Submit up to 1,000 jobs; each is admitted on its own',
        body: Type.Object(
          { jobs: Type.Array(SubmitBody, { minItems: 1, maxItems: 1000 }) },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            items: Type.Array(
              Type.Object({
                status: Type.Union([
                  Type.Literal('accepted'),
                  Type.Literal('scheduled'),
                  Type.Literal('error'),
                ]),
                job: Type.Optional(JobSchema),
                error: Type.Optional(ErrorBody.properties.error),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const inputs: SubmitInput[] = [];
      const early: Array<JobgateError | null> = [];
      for (const item of request.body.jobs) {
        try {
          inputs.push(toSubmitInput(item));
          early.push(null);
        } catch (error) {
          early.push(error as JobgateError);
        }
      }
      const outcomes = await engine.submitMany(inputs, request.principal);
      let next = 0;
      const items = early.map((error) => {
        if (error) return { status: 'error' as const, error: { code: error.code, message: error.message } };
        const outcome = outcomes[next++]!;
        if ('error' in outcome) {
          return {
            status: 'error' as const,
            error: { code: outcome.error.code, message: outcome.error.message },
          };
        }
        const status = outcome.job.status === 'scheduled' ? ('scheduled' as const) : ('accepted' as const);
        return { status, job: outcomeDto(outcome) };
      });
      return reply.code(202).send({ items });
    },
  );

  app.get(
    '/jobs/:id',
    { schema: { summary: 'Get a job', params: JobParams, response: { 200: JobSchema, ...errorResponses } } },
    async (request) => view(await engine.get(request.params.id, request.principal)),
  );

  app.get(
    '/jobs',
    {
      schema: {
        summary: 'List jobs, newest first',
        querystring: ListQuery,
        response: { 200: JobPageSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { limit, ...filter } = request.query;
      const parsedLimit = limit === undefined ? undefined : Number(limit);
      if (parsedLimit !== undefined && (parsedLimit < 1 || parsedLimit > 500)) {
        throw new JobgateError('JOBGATE_ERR_VALIDATION', 'querystring.limit must be within [1, 500]');
      }
      const page = await engine.list({ ...filter, limit: parsedLimit }, request.principal);
      return { items: page.items.map(view), nextCursor: page.nextCursor };
    },
  );

  const action = (
    name: 'cancel' | 'retry' | 'confirm',
    summary: string,
    run: (id: string, req: { principal: import('../../engine/principal.js').Principal }) => Promise<Job>,
  ) =>
    app.post(
      `/jobs/:id/${name}`,
      { schema: { summary, params: JobParams, response: { 200: JobSchema, ...errorResponses } } },
      async (request) => view(await run(request.params.id, request)),
    );
  action('cancel', 'Cancel a job (a running job is asked to stop)', (id, req) =>
    engine.cancel(id, req.principal),
  );
  action('retry', 'Retry a failed or cancelled job', (id, req) => engine.retryJob(id, req.principal));
  action('confirm', 'Release a follow-up iteration that awaits confirmation', (id, req) =>
    engine.confirm(id, req.principal),
  );
};
