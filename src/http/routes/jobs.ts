import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { JobgateError } from '../../domain/errors.js';
import type { Job } from '../../domain/job.js';
import { isTerminal } from '../../domain/job-states.js';
import type { Engine, SubmitOutcome } from '../../engine/engine.js';
import { submitWaitMaxSec, waitForEnd } from '../../engine/job-waiter.js';
import type { Principal } from '../../engine/principal.js';
import type { SubmitInput } from '../../engine/submit-input.js';
import { parseBatchItem } from '../batch-items.js';
import { iso } from '../iso-time.js';
import { type JobExtras, jobDto, usageDto } from '../job-dto.js';
import {
  ErrorBody,
  errorResponses,
  JobPageSchema,
  JobParams,
  JobSchema,
  ListQuery,
  SubmitBody,
  UsageSchema,
} from '../schemas.js';

type SubmitBodyValue = Omit<SubmitInput, 'runAt'> & { runAt?: string; callbackUrl?: string };

/** Per-job callback URLs (the webhook service); absent, a callbackUrl is refused. */
export interface JobCallbacks {
  check(url: string): void;
  register(jobId: string, url: string): Promise<void>;
}

function toSubmitInput(body: SubmitBodyValue): SubmitInput {
  const { runAt, callbackUrl: _callback, ...rest } = body;
  if (runAt === undefined) return rest;
  const at = Date.parse(runAt);
  if (Number.isNaN(at))
    throw new JobgateError('JOBGATE_ERR_VALIDATION', 'runAt must be an ISO 8601 date-time');
  return { ...rest, runAt: at };
}

const SubmitQuery = Type.Object(
  {
    wait: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,4}$',
        description: `Seconds to hold the answer until the job ends (at most ${submitWaitMaxSec}): 200 with the finished job, or 202 with the job as it stands when the wait runs out`,
      }),
    ),
  },
  { additionalProperties: false },
);

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});

export const jobRoutes: FastifyPluginAsyncTypebox<{ engine: Engine; callbacks?: JobCallbacks }> = async (
  app,
  { engine, callbacks },
) => {
  const checkCallback = (url: string | undefined) => {
    if (url === undefined) return;
    if (!callbacks)
      throw new JobgateError('JOBGATE_ERR_VALIDATION', 'This server does not send job callbacks', {
        details: { field: 'callbackUrl' },
      });
    callbacks.check(url);
  };
  /** A single-job response: the job, the caller's usage, and its place in line when queued. */
  const present = async (
    job: Job,
    principal: Principal,
    extras: JobExtras = {},
    view?: SubmitOutcome['view'],
  ) => {
    const [usage, { job: current, place }] = await Promise.all([
      engine.usage(principal, view?.usage, job),
      engine.withPlace(job, principal, view),
    ]);
    return jobDto(
      current,
      {
        usage: usageDto(usage),
        position: place?.position ?? null,
        estimatedWait: place?.estimatedWait ?? null,
        ...extras,
      },
      principal,
    );
  };
  const outcomeExtras = (outcome: SubmitOutcome): JobExtras =>
    outcome.deferredByQuota
      ? {
          message: `Daily quota reached: the job is scheduled to run at ${iso(outcome.job.runAt)}`,
        }
      : {};

  app.post(
    '/jobs',
    {
      schema: {
        summary: 'Submit a job',
        description:
          'Answers 202 with the new job, or 200 with the original job for a repeated Idempotency-Key. ' +
          'With `?wait=N` the answer waits up to N seconds for the job to end: 200 with the finished job ' +
          '(its result or error), else 202 with the job as it stands.',
        body: SubmitBody,
        headers: IdempotencyHeaders,
        querystring: SubmitQuery,
        response: { 200: JobSchema, 202: JobSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { callbackUrl } = request.body;
      checkCallback(callbackUrl);
      const outcome = await engine.submit(
        toSubmitInput(request.body),
        request.principal,
        request.headers['idempotency-key'],
        { view: true },
      );
      // Registered before the answer; a job that ends first is caught by the webhook sweep.
      if (callbackUrl !== undefined) await callbacks!.register(outcome.job.id, callbackUrl);
      reply.header('location', `/api/v1/jobs/${encodeURIComponent(outcome.job.id)}`);
      if (outcome.duplicate) reply.header('idempotency-replayed', 'true');
      const waitSec = Math.min(Number(request.query.wait ?? 0), submitWaitMaxSec);
      if (waitSec > 0) {
        const gone = new AbortController();
        reply.raw.once('close', () => gone.abort());
        const job = await waitForEnd(
          engine.events,
          () => engine.get(outcome.job.id, request.principal),
          outcome.job,
          { timeoutMs: waitSec * 1000, signal: gone.signal },
        );
        const ended = isTerminal(job.status);
        return reply
          .code(ended || outcome.duplicate ? 200 : 202)
          .send(await present(job, request.principal, ended ? {} : outcomeExtras(outcome)));
      }
      return reply
        .code(outcome.duplicate ? 200 : 202)
        .send(await present(outcome.job, request.principal, outcomeExtras(outcome), outcome.view));
    },
  );

  app.post(
    '/jobs/batch',
    {
      schema: {
        summary: 'Submit up to 1,000 jobs; each is admitted on its own',
        description:
          'Each item is a submit body (as POST /jobs) with an optional `idempotencyKey`, validated on ' +
          'its own: a bad item gets its own `error` result. An item without a key, in a request with ' +
          'an Idempotency-Key header, is keyed `<header>:<index>`; a repeated item answers its ' +
          'original job with `duplicate: true`.',
        headers: IdempotencyHeaders,
        body: Type.Object(
          {
            jobs: Type.Array(
              // Checked per item in the handler (parseBatchItem), so one bad item fails alone.
              Type.Unknown({ description: 'A submit body plus an optional idempotencyKey' }),
              { minItems: 1, maxItems: 1000 },
            ),
          },
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
                duplicate: Type.Optional(
                  Type.Boolean({ description: 'The item repeated an idempotency key: its original job' }),
                ),
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
      const keys: string[] = [];
      const callbackUrls: Array<string | undefined> = [];
      const early: Array<JobgateError | null> = [];
      for (const [index, item] of request.body.jobs.entries()) {
        try {
          const parsed = parseBatchItem(item, index, request.headers['idempotency-key']);
          if (parsed instanceof JobgateError) throw parsed;
          checkCallback(parsed.body.callbackUrl);
          inputs.push(toSubmitInput(parsed.body));
          keys.push(parsed.idempotencyKey ?? '');
          callbackUrls.push(parsed.body.callbackUrl);
          early.push(null);
        } catch (error) {
          early.push(error as JobgateError);
        }
      }
      const outcomes = await engine.submitMany(inputs, request.principal, keys);
      for (const [index, outcome] of outcomes.entries()) {
        const url = callbackUrls[index];
        if (url !== undefined && !('error' in outcome)) await callbacks!.register(outcome.job.id, url);
      }
      let next = 0;
      const errorItem = (error: JobgateError) => {
        const body: { code: string; message: string; details?: unknown } = {
          code: error.code,
          message: error.message,
        };
        if (error.details !== undefined) body.details = error.details;
        return { status: 'error' as const, error: body };
      };
      const items = early.map((failure) => {
        if (failure) return errorItem(failure);
        const outcome = outcomes[next++]!;
        if ('error' in outcome) return errorItem(outcome.error);
        const status = outcome.job.status === 'scheduled' ? ('scheduled' as const) : ('accepted' as const);
        return {
          status,
          job: jobDto(outcome.job, outcomeExtras(outcome), request.principal),
          ...(outcome.duplicate ? { duplicate: true } : {}),
        };
      });
      return reply.code(202).send({ items });
    },
  );

  app.get(
    '/jobs/:id',
    { schema: { summary: 'Get a job', params: JobParams, response: { 200: JobSchema, ...errorResponses } } },
    async (request) => present(await engine.get(request.params.id, request.principal), request.principal),
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
      return {
        items: page.items.map((job) => jobDto(job, {}, request.principal)),
        nextCursor: page.nextCursor,
      };
    },
  );

  const actions = {
    cancel: { summary: 'Cancel a job (a running job is asked to stop)', run: engine.cancel.bind(engine) },
    retry: { summary: 'Retry a failed or cancelled job', run: engine.retryJob.bind(engine) },
    promote: {
      summary: 'Run a scheduled job now (a delay, a retry backoff, a quota deferral)',
      run: engine.promote.bind(engine),
    },
    confirm: {
      summary: 'Release a follow-up iteration that awaits confirmation',
      run: engine.confirm.bind(engine),
    },
  };
  for (const [name, { summary, run }] of Object.entries(actions)) {
    app.post(
      `/jobs/:id/${name}`,
      { schema: { summary, params: JobParams, response: { 200: JobSchema, ...errorResponses } } },
      async (request) => present(await run(request.params.id, request.principal), request.principal),
    );
  }

  app.get(
    '/usage',
    {
      schema: {
        summary: 'Daily usage of the calling key’s owner',
        response: { 200: UsageSchema, ...errorResponses },
      },
    },
    async (request) => usageDto(await engine.usage(request.principal)),
  );
};
