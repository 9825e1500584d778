/**
 * The configuration file (`jobgate.config.json`, or `--config FILE`): one schema with
 * defaults and a description per field; types are inferred from it.
 */
import { type Static, Type } from 'typebox';

/** A tier limit: a count, or unlimited as `null` or -1 (the spelling of the systems Jobgate replaces). */
const Limit = (description: string, minimum = 0) =>
  Type.Union([Type.Integer({ minimum }), Type.Literal(-1), Type.Null()], {
    description: `${description} (null or -1 = unlimited)`,
  });

export const TierSchema = Type.Object(
  {
    priorityBoost: Type.Integer({
      minimum: 0,
      maximum: 9,
      description: 'Priority levels this tier’s jobs move up',
    }),
    maxConcurrentPerUser: Limit(
      'Running jobs per owner: in each queue (every queue has its own allowance), or across all with limitScope "tenant"',
    ),
    maxConcurrentPerProject: Limit(
      'Running jobs per (owner, project): in each queue, or across all (limitScope)',
    ),
    limitScope: Type.Optional(
      Type.Union([Type.Literal('queue'), Type.Literal('tenant')], {
        description:
          'What the concurrency limits count: "queue" (default) each queue on its own, "tenant" the owner’s jobs in every queue (on Redis Cluster: per hash slot, docs/SCALING.md)',
      }),
    ),
    dailyJobs: Limit('Jobs per owner per day; more are scheduled for the next day with room'),
    iterationDepth: Limit('Follow-up depth allowed before a confirmation is needed'),
    iterationBatch: Type.Integer({ minimum: 1, description: 'Iterations one confirmation grants' }),
    ratePerMinute: Limit('Sustained API requests per minute per key; unlimited: not rate-limited', 1),
    burst: Limit('Requests a key may make at once (token bucket size); unlimited: not rate-limited', 1),
  },
  { additionalProperties: false },
);

/** A queue's worker pool (docs/WORKERS.md): local worker processes between min and max. */
export const PoolSchema = Type.Object(
  {
    min: Type.Integer({ minimum: 0, description: 'Workers kept running even when idle (0 = scale to zero)' }),
    max: Type.Integer({ minimum: 1, description: 'Workers at most, starting and stopping ones included' }),
    idleTimeoutSec: Type.Number({
      exclusiveMinimum: 0,
      description: 'A worker idle this long is stopped while more than min run',
    }),
    concurrency: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Jobs one worker runs at once; default 1' }),
    ),
    handlers: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Module whose default export maps queue names to handlers (path from the working directory)',
      }),
    ),
    command: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Shell command to run instead of `jobgate worker` (any language; gets JOBGATE_* variables)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** How a queue's failed attempts wait before the next (domain/queue-policy.ts). */
export const BackoffSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('exponential'), Type.Literal('fixed')], {
      description: 'exponential: baseMs × 2^(attempt−1); fixed: baseMs every time',
    }),
    baseMs: Type.Integer({ minimum: 0, maximum: 24 * 3600_000 }),
    capMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 * 3600_000, description: 'Longest delay' })),
    jitter: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: '0 = none, 1 = anywhere in [0, delay]' }),
    ),
  },
  { additionalProperties: false },
);

export const QueueConfigSchema = Type.Object(
  {
    maxWorkers: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Jobs of this queue running at once' }),
    ),
    maxQueued: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Waiting jobs before submits answer 503' }),
    ),
    pool: Type.Optional(PoolSchema),
    // The queue's policy (docs/CAPACITY.md): defaults for jobs whose submit leaves them out.
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 24 * 3600_000, description: 'Default job timeout' }),
    ),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Default attempts' })),
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: 'Default priority' })),
    backoff: Type.Optional(BackoffSchema),
  },
  { additionalProperties: false },
);

/** A cron schedule (docs/SCHEDULES.md); the name is its key in `schedules`. */
export const ScheduleConfigSchema = Type.Object(
  {
    cron: Type.String({ description: '5 fields (minute precision) or 6 (seconds first)' }),
    timezone: Type.Optional(
      Type.String({ description: 'IANA time zone the fields are read in; default UTC' }),
    ),
    queue: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' }),
    type: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' })),
    payload: Type.Optional(Type.Unknown()),
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 3600_000 })),
    projectId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' })),
    owner: Type.String({ minLength: 1, maxLength: 128, description: 'The tenant the jobs belong to' }),
    tier: Type.Optional(Type.String({ description: 'The tier whose limits apply; default defaultTier' })),
    enabled: Type.Optional(Type.Boolean()),
    overlap: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('skip')])),
    missed: Type.Optional(Type.Union([Type.Literal('skip'), Type.Literal('catch-up-one')])),
  },
  { additionalProperties: false },
);

const Seconds = (description: string) => Type.Number({ exclusiveMinimum: 0, description });

/** Client deadlines and the connection cap (src/http/connection-limits.ts explains each). */
export const HttpConfigSchema = Type.Object(
  {
    headersTimeoutSec: Seconds('The request line and headers must arrive within this'),
    requestTimeoutSec: Seconds('The whole request, body included, must arrive within this'),
    idleTimeoutSec: Seconds('A connection silent both ways this long is closed (above 30 s: long-polls)'),
    keepAliveTimeoutSec: Seconds('An idle keep-alive connection between requests is closed after this'),
    maxConnections: Type.Integer({ minimum: 1, description: 'Connections held at once' }),
  },
  { additionalProperties: false },
);

/** Outbound webhooks (docs/WEBHOOKS.md); every field has a default. */
export const WebhooksConfigSchema = Type.Object(
  {
    allowPrivateTargets: Type.Optional(
      Type.Boolean({
        description:
          'Allow targets on loopback, private, link-local and metadata addresses (development and tests only); default false',
      }),
    ),
    retryDelaysSec: Type.Optional(
      Type.Array(Type.Number({ minimum: 0 }), {
        maxItems: 30,
        description:
          'Delay after each failed attempt; attempts = length + 1. Default 5, 30, 120, 900, 3600, 10800, 36000',
      }),
    ),
    jitter: Type.Optional(
      Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'Default 0.2 (±20 %)' }),
    ),
    concurrency: Type.Optional(
      Type.Integer({ minimum: 1, description: 'Deliveries in flight per server; default 64' }),
    ),
    perEndpointConcurrency: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'Deliveries in flight per endpoint across servers; default 4',
      }),
    ),
    connectTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, description: 'Default 5000' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 100, description: 'Whole attempt; default 15000' })),
    disableAfterHours: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'An endpoint failing this long is disabled; default 24',
      }),
    ),
    retentionHours: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'Finished deliveries are kept this long; default 168',
      }),
    ),
    callbackSecret: Type.Optional(
      Type.String({
        pattern: '^whsec_[A-Za-z0-9+/=]{16,}$',
        description: 'Signs per-job callbackUrl deliveries; without it callbackUrl is refused',
      }),
    ),
    smtp: Type.Optional(
      Type.Object(
        {
          host: Type.String({ minLength: 1 }),
          port: Type.Integer({ minimum: 1, maximum: 65535 }),
          secure: Type.Optional(
            Type.Boolean({ description: 'TLS from the start (465); default false (STARTTLS)' }),
          ),
          user: Type.Optional(Type.String()),
          pass: Type.Optional(Type.String()),
          from: Type.String({ minLength: 3, description: 'The From address of notification emails' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
/**
 * Queues the configuration does not name (docs/CAPACITY.md). Written in the file as
 * `queues.allowUnknown`, `queues.maxUnknown`, … beside the named queues (load-config.ts
 * moves them here), so these four names cannot be queue names in the file.
 */
export const UnknownQueuesSchema = Type.Object(
  {
    allowUnknown: Type.Boolean({ description: 'A submit to an unconfigured queue creates it (else 404)' }),
    maxUnknown: Type.Integer({ minimum: 0, description: 'Queues submits may create, server-wide' }),
    maxUnknownPerOwner: Type.Integer({ minimum: 0, description: 'Queues one tenant’s submits may create' }),
    retireUnknownAfterSec: Type.Number({
      exclusiveMinimum: 0,
      description: 'A created queue unused this long and holding no job is retired',
    }),
  },
  { additionalProperties: false },
);
export const UNKNOWN_QUEUE_SETTINGS = [
  'allowUnknown',
  'maxUnknown',
  'maxUnknownPerOwner',
  'retireUnknownAfterSec',
] as const;

/** Where artifact bytes live and how big they may be (docs/ARTIFACTS.md). */
export const ArtifactsSchema = Type.Object(
  {
    backend: Type.Union([Type.Literal('local'), Type.Literal('s3')], {
      description: 'local: a directory (default <data dir>/artifacts); s3: an S3-compatible bucket',
    }),
    dir: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Directory of the local backend (env JOBGATE_ARTIFACTS_DIR)',
      }),
    ),
    maxArtifactBytes: Type.Integer({ minimum: 1, description: 'Largest single artifact, in bytes' }),
    maxJobBytes: Type.Integer({ minimum: 1, description: 'All artifacts of one job together, in bytes' }),
    linkTtlSec: Type.Integer({ minimum: 1, description: 'How long a signed download link stays valid' }),
    sweepIntervalSec: Type.Number({
      exclusiveMinimum: 0,
      description: 'How often artifacts of purged jobs and unrecorded uploads are looked for',
    }),
    orphanGraceSec: Type.Number({
      minimum: 0,
      description: 'Stored bytes no record names are kept this long (an upload may be in progress)',
    }),
    s3: Type.Optional(
      Type.Object(
        {
          bucket: Type.String({ minLength: 1, description: 'Bucket (env JOBGATE_S3_BUCKET)' }),
          endpoint: Type.Optional(
            Type.String({
              minLength: 1,
              description: 'e.g. http://127.0.0.1:9000 for MinIO (env JOBGATE_S3_ENDPOINT)',
            }),
          ),
          region: Type.Optional(
            Type.String({ minLength: 1, description: 'Default us-east-1 (env AWS_REGION)' }),
          ),
          forcePathStyle: Type.Optional(
            Type.Boolean({ description: 'Path-style URLs; default true when an endpoint is set' }),
          ),
          prefix: Type.Optional(Type.String({ description: 'Object key prefix, e.g. "jobgate/"' })),
          accessKeyId: Type.Optional(
            Type.String({ minLength: 1, description: 'Else AWS_ACCESS_KEY_ID or the AWS default chain' }),
          ),
          secretAccessKey: Type.Optional(
            Type.String({ minLength: 1, description: 'Else AWS_SECRET_ACCESS_KEY' }),
          ),
          presignedRedirect: Type.Optional(
            Type.Boolean({
              description: 'Downloads answer 302 to a presigned bucket URL instead of streaming',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** An inbound hook (docs/WEBHOOKS.md): `POST /hooks/<name>` submits a job when its signature verifies. */
export const HookConfigSchema = Type.Object(
  {
    queue: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' }),
    owner: Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'The tenant whose tier and quotas apply',
    }),
    tier: Type.Optional(Type.String({ description: 'Default defaultTier' })),
    scheme: Type.Union([
      Type.Literal('github'),
      Type.Literal('standard-webhooks'),
      Type.Literal('hmac-sha256'),
    ]),
    secret: Type.Optional(Type.String({ minLength: 1 })),
    secrets: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description: 'Several valid at once (rotation)',
      }),
    ),
    header: Type.Optional(Type.String({ minLength: 1, description: 'hmac-sha256: the signature header' })),
    prefix: Type.Optional(
      Type.String({ description: 'hmac-sha256: text before the digest, e.g. "sha256="' }),
    ),
    encoding: Type.Optional(Type.Union([Type.Literal('hex'), Type.Literal('base64')])),
    timestampHeader: Type.Optional(
      Type.String({ minLength: 1, description: 'hmac-sha256: signed as "<timestamp>.<body>", within 5 min' }),
    ),
    idHeader: Type.Optional(
      Type.String({ minLength: 1, description: 'hmac-sha256: the delivery id header' }),
    ),
    events: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    eventHeader: Type.Optional(
      Type.String({ minLength: 1, description: 'Default X-GitHub-Event for github' }),
    ),
    eventPointer: Type.Optional(
      Type.String({ description: 'JSON pointer to the event name in the body (standard-webhooks: /type)' }),
    ),
    payload: Type.Optional(
      Type.String({
        description:
          'JSON pointer to the part of the body that becomes the job payload; default the whole body',
      }),
    ),
    type: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' })),
    priority: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
  },
  { additionalProperties: false },
);

export const ConfigSchema = Type.Object(
  {
    unknownQueues: UnknownQueuesSchema,
    tiers: Type.Record(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }), TierSchema),
    queues: Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' }), QueueConfigSchema),
    /** Created or updated in the store at start (the file wins over API edits then). */
    schedules: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' }), ScheduleConfigSchema),
    ),
    defaultTier: Type.String(),
    quota: Type.Object(
      {
        resetUtc: Type.String({
          pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
          description: 'Daily reset time, HH:MM UTC',
        }),
        jitterSec: Type.Integer({
          minimum: 0,
          description: 'Deferred jobs start within this many seconds after the reset',
        }),
      },
      { additionalProperties: false },
    ),
    fairness: Type.Object(
      {
        agingTurns: Type.Integer({
          minimum: 1,
          description: 'Dispatch turns a group waits per priority level below another',
        }),
      },
      { additionalProperties: false },
    ),
    idempotencyTtlSec: Type.Integer({ minimum: 1 }),
    webhooks: Type.Optional(WebhooksConfigSchema),
    hooks: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' }), HookConfigSchema),
    ),
    http: HttpConfigSchema,
    /** Off (no origins) by default: an operator names the browser origins that may call the API. */
    cors: Type.Optional(
      Type.Object(
        {
          origins: Type.Array(
            Type.String({
              pattern: '^(\\*|https?://[^/\\s]+)$',
              description: '`https://app.example.com`, or `*`',
            }),
            { maxItems: 100 },
          ),
        },
        { additionalProperties: false },
      ),
    ),
    retention: Type.Object(
      {
        completedHours: Type.Number({
          exclusiveMinimum: 0,
          description: 'Completed jobs are purged after this long',
        }),
        failedHours: Type.Number({
          exclusiveMinimum: 0,
          description: 'Failed and cancelled jobs are purged after this long',
        }),
      },
      { additionalProperties: false },
    ),
    artifacts: ArtifactsSchema,
  },
  { additionalProperties: false },
);

export type TierConfig = Static<typeof TierSchema>;
export type QueueConfig = Static<typeof QueueConfigSchema>;
export type HookConfig = Static<typeof HookConfigSchema>;
export type ScheduleConfig = Static<typeof ScheduleConfigSchema>;
export type HttpConfig = Static<typeof HttpConfigSchema>;
export type JobgateConfig = Static<typeof ConfigSchema>;
export type ArtifactsConfig = Static<typeof ArtifactsSchema>;

export const defaultConfig: JobgateConfig = {
  tiers: {
    free: {
      priorityBoost: 0,
      maxConcurrentPerUser: 2,
      maxConcurrentPerProject: 1,
      dailyJobs: 100,
      iterationDepth: 3,
      iterationBatch: 3,
      ratePerMinute: 60,
      burst: 20,
    },
    pro: {
      priorityBoost: 2,
      maxConcurrentPerUser: 10,
      maxConcurrentPerProject: 5,
      dailyJobs: 5_000,
      iterationDepth: 10,
      iterationBatch: 10,
      ratePerMinute: 600,
      burst: 100,
    },
    internal: {
      priorityBoost: 4,
      maxConcurrentPerUser: -1,
      maxConcurrentPerProject: -1,
      dailyJobs: -1,
      iterationDepth: -1,
      iterationBatch: 100,
      ratePerMinute: 60_000,
      burst: 10_000,
    },
  },
  queues: {},
  unknownQueues: { allowUnknown: true, maxUnknown: 200, maxUnknownPerOwner: 20, retireUnknownAfterSec: 3600 },
  defaultTier: 'free',
  quota: { resetUtc: '00:00', jitterSec: 300 },
  fairness: { agingTurns: 10 },
  idempotencyTtlSec: 24 * 3600,
  http: {
    headersTimeoutSec: 10,
    requestTimeoutSec: 30,
    idleTimeoutSec: 120,
    keepAliveTimeoutSec: 72,
    maxConnections: 10_000,
  },
  retention: { completedHours: 24, failedHours: 7 * 24 },
  artifacts: {
    backend: 'local',
    maxArtifactBytes: 2 * 1024 ** 3,
    maxJobBytes: 5 * 1024 ** 3,
    linkTtlSec: 3600,
    sweepIntervalSec: 300,
    orphanGraceSec: 3600,
  },
};
