/**
 * PATCH /queues/:queue (admin): a queue's live settings in one call — its pool
 * (min, max, idleTimeoutSec; routes/queue-pools.ts) and its policy (job defaults,
 * backoff, maxQueued; docs/CAPACITY.md), stored so that every server applies it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { JobgateError } from '../../domain/errors.js';
import type { Engine } from '../../engine/engine.js';
import { checkPolicyPatch } from '../../engine/policies/queue-policies.js';
import { changeQueuePolicy } from '../../engine/policies/queue-policy-admin.js';
import type { PoolManager } from '../../pool/pool-manager.js';
import { EffectivePolicySchema, policyChangeFields } from '../queue-policy-schemas.js';
import { errorResponses } from '../schemas.js';
import { PoolAnswer, poolChangeFields, poolView } from './queue-pools.js';

const QueueParams = Type.Object({ queue: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$' }) });

const QueueChange = Type.Object(
  { ...poolChangeFields, ...policyChangeFields },
  { additionalProperties: false, minProperties: 1 },
);

const PolicyAnswer = Type.Object({
  queue: Type.String(),
  policy: EffectivePolicySchema,
  pool: Type.Optional(PoolAnswer),
});

export const queueSettingsRoutes: FastifyPluginAsyncTypebox<{ engine: Engine; pools?: PoolManager }> = async (
  app,
  { engine, pools },
) => {
  app.patch(
    '/queues/:queue',
    {
      config: { roles: ['admin'] as const },
      schema: {
        tags: ['queues'],
        summary: 'Change a queue live: its pool (min, max, idleTimeoutSec) and its policy',
        description:
          'Pool fields alone answer the pool (lowering max drains the surplus workers, idle ones first; ' +
          'until the next restart). Policy fields (timeoutMs, maxAttempts, priority, backoff, maxQueued; ' +
          'null = back to the default) are stored, so every server applies them, and the answer is the ' +
          'effective policy (with the pool when pool fields were given too).',
        params: QueueParams,
        body: QueueChange,
        response: { 200: Type.Union([PoolAnswer, PolicyAnswer]), ...errorResponses },
      },
    },
    async (request) => {
      const { queue } = request.params;
      const { min, max, idleTimeoutSec, ...policy } = request.body;
      const poolChange = Object.fromEntries(
        Object.entries({ min, max, idleTimeoutSec }).filter(([, value]) => value !== undefined),
      );
      const hasPool = Object.keys(poolChange).length > 0;
      const hasPolicy = Object.keys(policy).length > 0;
      const { maxQueued: _cap, ...stored } = policy;
      checkPolicyPatch(stored);
      if (hasPool) {
        if (!pools)
          throw new JobgateError('JOBGATE_ERR_UNPROCESSABLE', `Queue ${queue} has no pool`, {
            details: { queue },
          });
        pools.status(queue); // no pool: 422 before anything changes
      }
      const effective = hasPolicy ? await changeQueuePolicy(engine, queue, policy) : null;
      const pool = hasPool ? poolView(await pools!.update(queue, poolChange)) : undefined;
      if (!effective) return pool!;
      return { queue, policy: effective, ...(pool ? { pool } : {}) };
    },
  );
};
