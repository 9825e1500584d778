/**
 * TypeBox schemas of the remote worker protocol (routes/workers.ts). They validate the
 * requests, shape the answers and document the protocol in the OpenAPI document, so
 * a worker in any language can be written from them (see docs/WORKERS.md).
 */
import { Type } from 'typebox';
import { JobSchema } from './schemas.js';

const Name = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' });

const workerIdPattern = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$';

export const WorkerId = Type.String({
  pattern: workerIdPattern,
  description: 'Letters, digits, ".", "_", ":", "-"; at most 64',
});

const LiveState = [
  Type.Literal('initializing'),
  Type.Literal('ready'),
  Type.Literal('idle'),
  Type.Literal('running'),
  Type.Literal('draining'),
] as const;
const WorkerStateSchema = Type.Union([
  Type.Literal('initializing'),
  Type.Literal('ready'),
  Type.Literal('idle'),
  Type.Literal('running'),
  Type.Literal('draining'),
  Type.Literal('dead'),
]);

const Labels = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$' }),
  Type.String({ maxLength: 256 }),
  { maxProperties: 32, additionalProperties: false, description: 'Free-form tags, e.g. {"gpu": "a100"}' },
);

export const WorkerView = Type.Object(
  {
    id: Type.String(),
    queues: Type.Array(Type.String()),
    concurrency: Type.Integer(),
    labels: Type.Record(Type.String(), Type.String()),
    version: Type.Union([Type.String(), Type.Null()]),
    state: WorkerStateSchema,
    running: Type.Integer({ description: 'Jobs it runs, as last reported' }),
    startedAt: Type.String({ format: 'date-time' }),
    lastSeenAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Worker', description: '`dead` is derived: the worker has not been heard from for deadAfterMs' },
);

export const RegisterBody = Type.Object(
  {
    queues: Type.Array(Name, { minItems: 1, maxItems: 50, description: 'Queues it takes jobs from' }),
    concurrency: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'Jobs it runs at once; default 1' }),
    ),
    labels: Type.Optional(Labels),
    version: Type.Optional(Type.String({ maxLength: 64, description: 'The worker’s own version' })),
    id: Type.Optional(
      Type.String({
        pattern: workerIdPattern,
        description: 'Choose the id (a pool names the workers it starts); registering again replaces it',
      }),
    ),
    state: Type.Optional(
      Type.Union([Type.Literal('initializing'), Type.Literal('ready')], {
        description: '`initializing` while it still loads (a model, a browser); default `ready`',
      }),
    ),
  },
  { additionalProperties: false },
);

export const Registration = Type.Object({
  worker: WorkerView,
  leaseMs: Type.Integer({ description: 'A lease lasts this long without a heartbeat' }),
  heartbeatMs: Type.Integer({ description: 'Heartbeat this often, with or without jobs' }),
  deadAfterMs: Type.Integer({ description: 'A worker silent this long is shown dead' }),
  maxWaitMs: Type.Integer({ description: 'The longest a lease request waits for work' }),
});

export const LeaseBody = Type.Object(
  {
    max: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: 'Jobs wanted at most; default 1' }),
    ),
    waitMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 30_000,
        description: 'Long-poll this long for work; default 30000',
      }),
    ),
    running: Type.Optional(Type.Integer({ minimum: 0, description: 'Jobs it runs now' })),
    state: Type.Optional(
      Type.Union([Type.Literal('ready'), Type.Literal('idle')], {
        description: '`ready` until its first job, then `idle`; default `idle`',
      }),
    ),
  },
  { additionalProperties: false },
);

export const LeasedJob = Type.Intersect([
  JobSchema,
  Type.Object({
    leaseToken: Type.String({ description: 'Present it on heartbeat, progress, complete, fail, release' }),
    leaseExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    workerId: Type.Union([Type.String(), Type.Null()]),
  }),
]);

export const LeaseAnswer = Type.Object({ jobs: Type.Array(LeasedJob) });

const LeaseRef = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }), token: Type.String({ minLength: 1, maxLength: 128 }) },
  { additionalProperties: false },
);

export const HeartbeatBody = Type.Object(
  {
    leases: Type.Array(LeaseRef, { maxItems: 1000, description: 'The leases it holds; may be empty' }),
    running: Type.Optional(Type.Integer({ minimum: 0, description: 'Default: the number of leases' })),
    state: Type.Optional(
      Type.Union([...LiveState], {
        description: '`draining` ends its pending lease request and takes no new job',
      }),
    ),
  },
  { additionalProperties: false },
);

export const HeartbeatAnswer = Type.Object({
  extended: Type.Array(Type.String(), { description: 'Leases extended by leaseMs' }),
  lost: Type.Array(Type.String(), {
    description: 'Leases it no longer holds: stop those jobs, write nothing',
  }),
  cancel: Type.Array(Type.String(), { description: 'Jobs cancelled by a user: stop them and call fail' }),
});

export const JobLeaseParams = Type.Object({
  workerId: WorkerId,
  jobId: Type.String({ minLength: 1, maxLength: 64 }),
});

export const WorkerParams = Type.Object({ workerId: WorkerId });

const Token = Type.String({ minLength: 1, maxLength: 128, description: 'The leaseToken of the lease' });

export const ProgressBody = Type.Object(
  {
    token: Token,
    percent: Type.Number({ minimum: 0, maximum: 100 }),
    stage: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
    message: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
  },
  { additionalProperties: false },
);

export const CompleteBody = Type.Object(
  { token: Token, result: Type.Optional(Type.Unknown({ description: 'Stored as the job’s result' })) },
  { additionalProperties: false },
);

export const FailBody = Type.Object(
  {
    token: Token,
    message: Type.String({ minLength: 1, maxLength: 10_000 }),
    retryable: Type.Optional(
      Type.Boolean({ description: 'false fails the job at once, whatever attempts remain; default true' }),
    ),
    stack: Type.Optional(Type.String({ maxLength: 50_000 })),
  },
  { additionalProperties: false },
);

export const TokenBody = Type.Object({ token: Token }, { additionalProperties: false });

export const JobAck = Type.Object({
  id: Type.String(),
  status: Type.String(),
  cancelRequested: Type.Boolean({ description: 'A user asked to cancel it: stop and call fail' }),
});

export const WorkerListQuery = Type.Object({ queue: Type.Optional(Name) }, { additionalProperties: false });
