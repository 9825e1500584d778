import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { modelRuns, storeModelProperty } from './store-model.js';

let redis: TestRedis | undefined;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe('store model: redis', () => {
  it(`keeps every invariant over ${modelRuns.runs} runs of up to ${modelRuns.commands} commands`, {
    timeout: 300_000,
  }, async () => {
    await fc.assert(
      storeModelProperty(async () => {
        const clock = { now: Date.UTC(2026, 0, 15, 12, 0, 0) };
        // Each run its own key prefix on one server; a long call bound (a loaded machine is no outage).
        const store = new RedisStore({
          url: redis!.url,
          prefix: `m-${randomUUID()}`,
          clock: () => clock.now,
          timeoutMs: 10_000,
        });
        await store.connect();
        return { store, clock, close: () => store.close() };
      }, modelRuns.commands),
      { numRuns: modelRuns.runs, seed: modelRuns.seed },
    );
  });
});
