/** Schemas of a queue's policy (docs/CAPACITY.md): the change PATCH /queues/:queue takes, and the effective policy shown. */
import { Type } from 'typebox';

const Backoff = Type.Object(
  {
    type: Type.Union([Type.Literal('exponential'), Type.Literal('fixed')], {
      description: 'exponential: baseMs × 2^(attempt−1); fixed: baseMs every time',
    }),
    baseMs: Type.Integer({ minimum: 0, maximum: 24 * 3600_000 }),
    capMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 24 * 3600_000, description: 'Longest delay' })),
    jitter: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  },
  { additionalProperties: false },
);

const orNull = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Optional(Type.Union([schema, Type.Null()]));

/** Policy fields of PATCH /queues/:queue; null puts a field back to the server's default. */
export const policyChangeFields = {
  timeoutMs: orNull(Type.Integer({ minimum: 1, maximum: 24 * 3600_000, description: 'Default job timeout' })),
  maxAttempts: orNull(Type.Integer({ minimum: 1, maximum: 100, description: 'Default attempts' })),
  priority: orNull(Type.Integer({ minimum: 1, maximum: 10, description: 'Default priority' })),
  backoff: orNull(Backoff),
  maxQueued: orNull(Type.Integer({ minimum: 1, description: 'Waiting jobs before submits answer 503' })),
};

export const EffectivePolicySchema = Type.Object(
  {
    timeoutMs: Type.Union([Type.Integer(), Type.Null()]),
    maxAttempts: Type.Integer(),
    priority: Type.Integer(),
    backoff: Type.Object({
      type: Type.Union([Type.Literal('exponential'), Type.Literal('fixed')]),
      baseMs: Type.Integer(),
      capMs: Type.Integer(),
      jitter: Type.Number(),
    }),
    maxQueued: Type.Union([Type.Integer(), Type.Null()]),
    set: Type.Array(Type.String(), { description: 'Fields the queue’s policy sets (the rest are defaults)' }),
  },
  { description: 'What a job of the queue gets when its submit leaves a field out; a job’s own fields win' },
);
