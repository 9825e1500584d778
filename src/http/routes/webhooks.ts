/**
 * Outbound webhook subscriptions and their delivery logs. A tenant manages its own
 * (another tenant's id answers 404); an admin sees every one.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { JobgateError } from '../../domain/errors.js';
import type { WebhookService } from '../../engine/webhooks/webhook-service.js';
import { errorResponses } from '../schemas.js';
import {
  DeliverySchema,
  deliveryDto,
  SubscriptionCreateBody,
  SubscriptionPatchBody,
  SubscriptionSchema,
  SubscriptionWithSecret,
  subscriptionDto,
} from '../webhook-schemas.js';

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const DeliveryParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  deliveryId: Type.String({ minLength: 1, maxLength: 128 }),
});
const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: '1-200, default 50' })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const webhookRoutes: FastifyPluginAsyncTypebox<{ webhooks: WebhookService }> = async (
  app,
  { webhooks },
) => {
  app.post(
    '/webhooks',
    {
      schema: {
        summary: 'Subscribe an endpoint to job events (the signing secret is shown once, here)',
        body: SubscriptionCreateBody,
        response: { 201: SubscriptionWithSecret, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { subscription, secret } = await webhooks.create(request.body, request.principal);
      return reply.code(201).send({ subscription: subscriptionDto(subscription), secret });
    },
  );

  app.get(
    '/webhooks',
    {
      schema: {
        summary: 'List webhook subscriptions (a tenant: its own)',
        response: { 200: Type.Object({ items: Type.Array(SubscriptionSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ items: (await webhooks.list(request.principal)).map((s) => subscriptionDto(s)) }),
  );

  app.get(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Get a webhook subscription',
        params: Params,
        response: { 200: SubscriptionSchema, ...errorResponses },
      },
    },
    async (request) => subscriptionDto(await webhooks.get(request.params.id, request.principal)),
  );

  app.patch(
    '/webhooks/:id',
    {
      schema: {
        summary:
          'Change a subscription: target, events, queues; enabled: true re-enables a disabled one; rotateSecret',
        params: Params,
        body: SubscriptionPatchBody,
        response: { 200: SubscriptionWithSecret, ...errorResponses },
      },
    },
    async (request) => {
      const { subscription, secret } = await webhooks.update(
        request.params.id,
        request.body,
        request.principal,
      );
      return { subscription: subscriptionDto(subscription), secret };
    },
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Delete a subscription and its delivery log',
        params: Params,
        response: { 204: Type.Null(), ...errorResponses },
      },
    },
    async (request, reply) => {
      await webhooks.remove(request.params.id, request.principal);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        summary: "A subscription's deliveries, newest first: status, attempts, last response, next attempt",
        params: Params,
        querystring: PageQuery,
        response: {
          200: Type.Object({
            items: Type.Array(DeliverySchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit === undefined ? 50 : Number(request.query.limit);
      if (limit < 1 || limit > 200)
        throw new JobgateError('JOBGATE_ERR_VALIDATION', 'querystring.limit must be within [1, 200]');
      const page = await webhooks.deliveries(request.params.id, request.principal, {
        limit,
        cursor: request.query.cursor,
      });
      return { items: page.items.map(deliveryDto), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      schema: {
        summary: 'Send a delivery again (same webhook-id, a fresh attempt budget)',
        params: DeliveryParams,
        response: { 202: DeliverySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const delivery = await webhooks.redeliver(
        request.params.id,
        request.params.deliveryId,
        request.principal,
      );
      return reply.code(202).send(deliveryDto(delivery));
    },
  );
};
