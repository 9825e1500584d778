/**
 * The tenants summary: its route, and the hook that counts each owner's rate-limit
 * refusals for it. The hook sits on the root so it sees every route's answers.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import type { ApiKeys } from '../engine/api-keys.js';
import type { Engine } from '../engine/engine.js';
import { RateLimitTally } from '../engine/rate-limit-tally.js';
import { toJobgateError } from './error-handler.js';
import { tenantRoutes } from './routes/tenants.js';

export async function registerTenants(
  app: FastifyInstance,
  options: { engine: Engine; keys: ApiKeys },
): Promise<void> {
  const tally = new RateLimitTally();
  app.addHook('onError', async (request, _reply, error: FastifyError) => {
    if (request.principal && toJobgateError(error).code === 'JOBGATE_ERR_RATE_LIMITED') {
      tally.record(request.principal.owner);
    }
  });
  await app.register(tenantRoutes, { ...options, tally, prefix: '/api/v1' });
}
