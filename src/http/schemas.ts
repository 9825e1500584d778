/**
 * TypeBox schemas of the public API. They validate requests, shape responses and
 * generate the OpenAPI document, so they are the API's one written contract.
 */
import { Type } from 'typebox';
import { ERROR_CODES, type ErrorCode } from '../domain/errors.js';
import { JOB_STATUSES } from '../domain/job-states.js';

const Name = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$',
  description: 'Letters, digits, ".", "_", ":", "-"',
});

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'A JOBGATE_ERR_* code from docs/ERRORS.md' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'ErrorBody', description: 'Every error response' },
);

const [s0, s1, s2, s3, s4, s5, s6] = JOB_STATUSES;
export const JobStatusSchema = Type.Union([
  Type.Literal(s0),
  Type.Literal(s1),
  Type.Literal(s2),
  Type.Literal(s3),
  Type.Literal(s4),
  Type.Literal(s5),
  Type.Literal(s6),
]);

export const SubmitBody = Type.Object(
  {
    queue: Name,
    type: Type.Optional(Name),
    payload: Type.Optional(Type.Unknown()),
    priority: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 10, description: '1 = highest, 10 = lowest; default 5' }),
    ),
    runAt: Type.Optional(
      Type.String({ format: 'date-time', description: 'Run no earlier than this time (ISO 8601)' }),
    ),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 * 24 * 3600_000 })),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 3600_000 })),
    projectId: Type.Optional(Name),
    parentId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'A follow-up iteration of this job, which must be in the same queue',
      }),
    ),
    callbackUrl: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description:
          "POSTed the job's terminal event (completed, failed, cancelled), signed per Standard Webhooks with the server's callback secret (docs/WEBHOOKS.md)",
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ queue: 'speech', payload: { text: 'Hello from Jobgate' }, priority: 3, maxAttempts: 2 }],
  },
);

export const JobProgressSchema = Type.Object({
  percent: Type.Number(),
  stage: Type.Union([Type.String(), Type.Null()]),
  message: Type.Union([Type.String(), Type.Null()]),
});

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const UsageSchema = Type.Object({
  jobsUsed: Type.Integer(),
  jobsRemaining: Type.Union([Type.Integer(), Type.Null()], { description: 'null = unlimited' }),
  iterationsUsed: Type.Integer(),
  iterationsRemaining: Type.Union([Type.Integer(), Type.Null()], { description: 'null = unlimited' }),
  dailyLimitResetsAt: Type.String({ format: 'date-time' }),
});

export const EstimatedWaitSchema = Type.Object(
  {
    seconds: Type.Union([Type.Number(), Type.Null()], {
      description: 'null: the job cannot start now and no time can be given (see reason)',
    }),
    confidence: Type.Union([Type.Literal('low'), Type.Literal('medium'), Type.Literal('high')]),
    reason: Type.Optional(
      Type.Union([Type.Literal('paused'), Type.Literal('no_workers'), Type.Literal('cold_start')], {
        description:
          'Why no worker can start it now: the queue is paused, no worker serves it, or a pool is starting ' +
          'one (seconds then include the measured start time)',
      }),
    ),
    coldStartSeconds: Type.Optional(
      Type.Union([Type.Number(), Type.Null()], {
        description:
          "With cold_start: the pool's measured start time still to go; null before one was measured",
      }),
    ),
  },
  { description: 'docs/CAPACITY.md, "Estimated wait", gives the formula' },
);

export const JobSchema = Type.Object(
  {
    id: Type.String(),
    queue: Type.String(),
    type: Type.String(),
    status: JobStatusSchema,
    priority: Type.Integer(),
    payload: Type.Unknown(),
    result: Type.Unknown(),
    error: Type.Union([
      Type.Object({ message: Type.String(), retryable: Type.Boolean(), stack: Type.Optional(Type.String()) }),
      Type.Null(),
    ]),
    attempts: Type.Integer(),
    attemptHistory: Type.Array(
      Type.Object({
        attempt: Type.Integer(),
        workerId: Type.Union([Type.String(), Type.Null()]),
        queueWaitMs: Type.Union([Type.Integer(), Type.Null()], { description: 'From due to start' }),
        startedAt: Type.String({ format: 'date-time' }),
        endedAt: Type.String({ format: 'date-time' }),
        durationMs: Type.Integer(),
        outcome: Type.Union([
          Type.Literal('completed'),
          Type.Literal('failed'),
          Type.Literal('timed_out'),
          Type.Literal('lease_lost'),
          Type.Literal('cancelled'),
          Type.Literal('released'),
        ]),
        error: Type.Union([
          Type.Object({
            message: Type.String(),
            retryable: Type.Boolean(),
            stack: Type.Optional(Type.String()),
          }),
          Type.Null(),
        ]),
      }),
      { description: 'The last 20 attempts, oldest first (the stack for admins only)' },
    ),
    attemptsDropped: Type.Integer({ description: 'Older attempts no longer kept' }),
    maxAttempts: Type.Integer(),
    timeoutMs: Type.Union([Type.Integer(), Type.Null()]),
    progress: JobProgressSchema,
    owner: Type.String(),
    projectId: Type.Union([Type.String(), Type.Null()]),
    parentId: Type.Union([Type.String(), Type.Null()]),
    depth: Type.Integer(),
    cancelRequested: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    runAt: Type.String({ format: 'date-time' }),
    startedAt: Time,
    finishedAt: Time,
    position: Type.Optional(
      Type.Union([Type.Integer(), Type.Null()], { description: '1 = next; queued jobs only' }),
    ),
    estimatedWait: Type.Optional(Type.Union([EstimatedWaitSchema, Type.Null()])),
    usage: Type.Optional(UsageSchema),
    message: Type.Optional(
      Type.String({ description: 'Why the job is in its state, e.g. deferred by the daily quota' }),
    ),
  },
  { $id: 'Job' },
);

/**
 * A list cursor as the server issued it (opaque). A Redis cursor names, per shard that
 * served queued jobs, where that shard stopped (~28 characters each), so it grows with
 * the shards a listing spans; 8 KiB keeps a URL carrying it under Node's 16 KiB header cap.
 */
export const Cursor = Type.String({
  maxLength: 8192,
  description: 'nextCursor of the previous page, with the same filter',
});

export const JobParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const ListQuery = Type.Object(
  {
    status: Type.Optional(JobStatusSchema),
    queue: Type.Optional(Name),
    type: Type.Optional(Name),
    owner: Type.Optional(Type.String({ maxLength: 128 })),
    id: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9-]{1,64}$',
        description: 'Jobs whose id starts with this: the short id the list shows',
      }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1-500, default 50' })),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const JobPageSchema = Type.Object({
  items: Type.Array(JobSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

/**
 * One error response per HTTP status of the registry, each naming the codes that
 * status carries, so the OpenAPI document lists every error variant.
 */
function errorResponse(status: number) {
  const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
    (code) => ERROR_CODES[code].status === status,
  );
  const [first, ...rest] = codes.map((code) => Type.Literal(code));
  return Type.Object(
    {
      error: Type.Object({
        code: rest.length === 0 ? first! : Type.Union([first!, ...rest]),
        message: Type.String(),
        details: Type.Optional(Type.Unknown()),
      }),
    },
    {
      description: codes.map((code) => `\`${code}\`: ${ERROR_CODES[code].message}`).join(' · '),
    },
  );
}

/**
 * Every error variant, by status: add to a route's `response` beside its success
 * answers. Keys are spelled out (not derived) so the type provider keeps one reply
 * type per status; test/http/openapi.test.ts checks they cover every registry status.
 */
export const errorResponses = {
  400: errorResponse(400),
  401: errorResponse(401),
  403: errorResponse(403),
  404: errorResponse(404),
  408: errorResponse(408),
  409: errorResponse(409),
  410: errorResponse(410),
  413: errorResponse(413),
  415: errorResponse(415),
  416: errorResponse(416),
  422: errorResponse(422),
  429: errorResponse(429),
  431: errorResponse(431),
  500: errorResponse(500),
  503: errorResponse(503),
};
