/**
 * `GET /api/v1/tenants` (admin): every tenant's running, queued and scheduled jobs,
 * today's usage against its quota, rate-limit refusals and tiers. The figures come
 * from engine/tenant-summary.ts, which defines each of them.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApiKeys } from '../../engine/api-keys.js';
import type { Engine } from '../../engine/engine.js';
import type { RateLimitTally } from '../../engine/rate-limit-tally.js';
import { tenantSummaries } from '../../engine/tenant-summary.js';
import { usageDto } from '../job-dto.js';
import { errorResponses, UsageSchema } from '../schemas.js';

const TenantSchema = Type.Object({
  owner: Type.String(),
  tiers: Type.Array(Type.String(), { description: 'Tiers of its active keys, newest first' }),
  activeKeys: Type.Integer(),
  running: Type.Integer({
    description: 'Running jobs in all queues together; concurrency limits count per queue',
  }),
  queued: Type.Integer(),
  scheduled: Type.Integer(),
  countsCapped: Type.Boolean({ description: 'A count stopped at its cap (5,000): read it as "at least"' }),
  usage: UsageSchema,
  dailyLimit: Type.Union([Type.Integer(), Type.Null()], { description: 'Daily job quota; null = unlimited' }),
  rateLimitedToday: Type.Integer({
    description: 'Requests refused by the rate limit since the quota day began (this server’s count)',
  }),
});

export const tenantRoutes: FastifyPluginAsyncTypebox<{
  engine: Engine;
  keys: ApiKeys;
  tally: RateLimitTally;
}> = async (app, { engine, keys, tally }) => {
  app.get(
    '/tenants',
    {
      config: { roles: ['admin'] },
      schema: {
        tags: ['tenants'],
        summary: 'Every tenant: jobs by state, daily usage against quota, rate-limit refusals, tiers',
        response: { 200: Type.Object({ items: Type.Array(TenantSchema) }), ...errorResponses },
      },
    },
    async () => {
      const items = await tenantSummaries(engine, { keys: await keys.list(), tally });
      return { items: items.map((item) => ({ ...item, usage: usageDto(item.usage) })) };
    },
  );
};
