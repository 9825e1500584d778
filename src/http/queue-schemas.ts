/** Schemas of the queue routes (routes/queues.ts) and of /health's worker part. */
import { Type } from 'typebox';
import { EffectivePolicySchema } from './queue-policy-schemas.js';
import { Cursor, EstimatedWaitSchema, JobProgressSchema } from './schemas.js';

export const QueueParams = Type.Object({
  queue: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$', description: 'Queue name' }),
});

export const WorkerCountsSchema = Type.Object(
  {
    initializing: Type.Integer(),
    ready: Type.Integer(),
    idle: Type.Integer(),
    running: Type.Integer(),
    draining: Type.Integer(),
  },
  { description: 'Worker slots by state (a worker of concurrency 4 is 4 slots)' },
);

export const QueueJobCountsSchema = Type.Object({
  scheduled: Type.Integer(),
  queued: Type.Integer(),
  running: Type.Integer(),
  completed: Type.Integer(),
  failed: Type.Integer(),
  cancelled: Type.Integer(),
  awaitingConfirmation: Type.Integer(),
});

export const PartErrorSchema = Type.Object(
  {
    part: Type.String({ description: '`jobs` (job counts) or `queue` (its settings)' }),
    code: Type.String({ description: 'A JOBGATE_ERR_* code, e.g. JOBGATE_ERR_STORE_UNAVAILABLE' }),
    message: Type.String(),
  },
  { description: 'A part of the answer that could not be read; the part itself is null' },
);

export const QueueStatusSchema = Type.Object({
  queue: Type.String(),
  status: Type.Union(
    [
      Type.Literal('ok'),
      Type.Literal('busy'),
      Type.Literal('cold'),
      Type.Literal('paused'),
      Type.Literal('unknown'),
    ],
    {
      description:
        'paused: paused · cold: no worker slot up (ready, idle or running) · busy: every slot running, or maxWorkers ' +
        'reached · ok: otherwise · unknown: the store part could not be read (see errors)',
    },
  ),
  paused: Type.Union([Type.Boolean(), Type.Null()]),
  workers: WorkerCountsSchema,
  jobs: Type.Union([QueueJobCountsSchema, Type.Null()]),
  estimatedWait: Type.Union([EstimatedWaitSchema, Type.Null()], {
    description:
      'For a job submitted now (seconds null with a reason when none can start); null when unknown',
  }),
  maxWorkers: Type.Union([Type.Integer(), Type.Null()], { description: 'Cap on running jobs; null = none' }),
  policy: Type.Union([EffectivePolicySchema, Type.Null()]),
  errors: Type.Optional(Type.Array(PartErrorSchema)),
});

const Percentiles = Type.Union([Type.Object({ p50: Type.Number(), p95: Type.Number() }), Type.Null()]);

const StatsWindowSchema = Type.Object({
  since: Type.String({ format: 'date-time' }),
  completed: Type.Integer(),
  failed: Type.Integer(),
  cancelled: Type.Integer(),
  throughputPerMinute: Type.Number({ description: 'Completed jobs per minute over the window' }),
  successRate: Type.Union([Type.Number(), Type.Null()], {
    description: 'completed / (completed + failed); null when neither happened',
  }),
  runTimeMs: Percentiles,
  waitTimeMs: Percentiles,
  truncated: Type.Boolean({ description: 'The window held more jobs than were sampled' }),
});

export const QueueStatsSchema = Type.Object({
  queue: Type.String(),
  at: Type.String({ format: 'date-time' }),
  windows: Type.Object({ hour: StatsWindowSchema, day: StatsWindowSchema }),
});

export const ActiveJobSchema = Type.Object({
  id: Type.String(),
  type: Type.String(),
  owner: Type.String(),
  projectId: Type.Union([Type.String(), Type.Null()]),
  workerId: Type.Union([Type.String(), Type.Null()]),
  progress: JobProgressSchema,
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  startedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  leaseExpiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  cancelRequested: Type.Boolean(),
});

export const ActiveQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1-500, default 100' })),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
