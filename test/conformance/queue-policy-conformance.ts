/** Queue policy conformance (store/queue-policy-store.ts): the same cases on every backend, three stores on one. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SharedStores, SharedStoresFactory } from './schedule-conformance.js';

export function queuePolicyConformance(name: string, factory: SharedStoresFactory): void {
  describe(`queue policy conformance: ${name}`, () => {
    let h!: SharedStores;
    beforeEach(async () => {
      h = await factory();
    });
    afterEach(async () => {
      await h?.close();
    });

    it('stores a patch, answers it on every server, and removes a field set to null', async () => {
      const [a, b, c] = h.stores;
      expect(await a.queuePolicies.getQueuePolicy('render')).toEqual({});
      const backoff = { type: 'fixed' as const, baseMs: 500, capMs: 500, jitter: 0 };
      expect(
        await a.queuePolicies.patchQueuePolicy({ queue: 'render', patch: { timeoutMs: 300_000, backoff } }),
      ).toEqual({ timeoutMs: 300_000, backoff });
      expect(await b.queuePolicies.getQueuePolicy('render')).toEqual({ timeoutMs: 300_000, backoff });
      expect(
        await c.queuePolicies.patchQueuePolicy({ queue: 'render', patch: { backoff: null, maxAttempts: 7 } }),
      ).toEqual({ timeoutMs: 300_000, maxAttempts: 7 });
      await b.queuePolicies.patchQueuePolicy({ queue: 'tests', patch: { priority: 2 } });
      expect(await a.queuePolicies.listQueuePolicies()).toEqual([
        { queue: 'render', policy: { timeoutMs: 300_000, maxAttempts: 7 } },
        { queue: 'tests', policy: { priority: 2 } },
      ]);
      expect(await a.queuePolicies.getQueuePolicy('other')).toEqual({});
    });
  });
}
