/** TypeBox schemas of the webhook routes (/api/v1/webhooks…). */
import { Type } from 'typebox';
import { WEBHOOK_EVENTS } from '../domain/webhook-events.js';
import type { WebhookDelivery, WebhookSubscription } from '../store/webhook-store.js';
import { iso } from './iso-time.js';

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const Event = Type.Union(WEBHOOK_EVENTS.map((event) => Type.Literal(event)));
const QueueName = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' });

const subscriptionFields = {
  url: Type.Union([Type.String({ minLength: 1, maxLength: 2048 }), Type.Null()], {
    description: 'http(s) endpoint; its host must resolve to public addresses (docs/WEBHOOKS.md)',
  }),
  email: Type.Union([Type.String({ format: 'email', maxLength: 320 }), Type.Null()], {
    description: 'Also (or instead) send each event by email (needs webhooks.smtp)',
  }),
  events: Type.Array(Event, {
    minItems: 1,
    uniqueItems: true,
    description: 'Default: job.completed, job.failed, job.cancelled; job.progress is opt-in',
  }),
  queues: Type.Union(
    [Type.Array(QueueName, { minItems: 1, maxItems: 100, uniqueItems: true }), Type.Null()],
    {
      description: 'Only these queues; null = every queue',
    },
  ),
  description: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
  enabled: Type.Boolean(),
};

export const SubscriptionCreateBody = Type.Object(
  {
    url: Type.Optional(subscriptionFields.url),
    email: Type.Optional(subscriptionFields.email),
    events: Type.Optional(subscriptionFields.events),
    queues: Type.Optional(subscriptionFields.queues),
    description: Type.Optional(subscriptionFields.description),
    enabled: Type.Optional(subscriptionFields.enabled),
  },
  { additionalProperties: false },
);

export const SubscriptionPatchBody = Type.Object(
  {
    ...SubscriptionCreateBody.properties,
    rotateSecret: Type.Optional(
      Type.Boolean({
        description: 'Issue a new secret (shown once); the old one signs too for secretOverlapSec',
      }),
    ),
    secretOverlapSec: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 24 * 3600 })),
  },
  { additionalProperties: false },
);

export const SubscriptionSchema = Type.Object(
  {
    id: Type.String(),
    owner: Type.String(),
    allOwners: Type.Boolean({ description: "An admin's subscription: every owner's jobs" }),
    ...subscriptionFields,
    events: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    disabledReason: Type.Union([Type.String(), Type.Null()]),
    failingSince: Time,
    secretsValid: Type.Integer({
      description: 'Secrets signing now (2 during a rotation); never shown again',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'WebhookSubscription' },
);

export const SubscriptionWithSecret = Type.Object({
  subscription: SubscriptionSchema,
  secret: Type.Union([Type.String(), Type.Null()], {
    description: 'whsec_… — shown once, when created or rotated',
  }),
});

export const DeliverySchema = Type.Object(
  {
    id: Type.String({ description: 'The webhook-id header: the same on every attempt' }),
    subscriptionId: Type.String(),
    channel: Type.Union([Type.Literal('http'), Type.Literal('email')]),
    target: Type.String(),
    event: Type.String(),
    jobId: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([
      Type.Literal('pending'),
      Type.Literal('sending'),
      Type.Literal('delivered'),
      Type.Literal('failed'),
    ]),
    attempts: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
    nextAttemptAt: Time,
    lastAttemptAt: Time,
    responseCode: Type.Union([Type.Integer(), Type.Null()]),
    durationMs: Type.Union([Type.Integer(), Type.Null()]),
    response: Type.Union([Type.String(), Type.Null()], { description: 'The first KB of the last response' }),
    error: Type.Union([Type.String(), Type.Null()]),
    history: Type.Array(
      Type.Object({
        at: Type.String({ format: 'date-time' }),
        responseCode: Type.Union([Type.Integer(), Type.Null()]),
        durationMs: Type.Integer(),
        error: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
  },
  { $id: 'WebhookDelivery' },
);

export function subscriptionDto(sub: WebhookSubscription, now = Date.now()) {
  const { secrets, ...rest } = sub;
  return {
    ...rest,
    failingSince: iso(sub.failingSince),
    secretsValid: secrets.filter((s) => s.expiresAt === null || s.expiresAt > now).length,
    createdAt: iso(sub.createdAt),
    updatedAt: iso(sub.updatedAt),
  };
}

export function deliveryDto(d: WebhookDelivery) {
  return {
    id: d.id,
    subscriptionId: d.subscriptionId,
    channel: d.channel,
    target: d.target,
    event: d.event,
    jobId: d.jobId,
    status: d.status,
    attempts: d.attempts,
    createdAt: iso(d.createdAt),
    nextAttemptAt: iso(d.nextAttemptAt),
    lastAttemptAt: iso(d.lastAttemptAt),
    responseCode: d.responseCode,
    durationMs: d.durationMs,
    response: d.response,
    error: d.error,
    history: d.history.map((a) => ({ ...a, at: iso(a.at) })),
  };
}
