/**
 * The admission also reads what a submit's answer shows next (place, running count,
 * usage), saving three calls: in one script on one Redis, in each half's own slot on a
 * cluster. The conformance suite checks it agrees with the separate reads; this checks
 * it is there on both paths.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { admitOk, request } from '../conformance/store-conformance.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

describe.each([false, true])('admission view (cluster: %s)', (cluster) => {
  let server: TestRedis;
  beforeAll(async () => {
    server = await startRedis({ cluster });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers the place, running count and usage with the admission when asked', async () => {
    const store = new RedisStore({ url: server.url, prefix: `t-${randomUUID()}` });
    await store.connect();
    try {
      await admitOk(store, request());
      const asked = await admitOk(store, { ...request(), view: true });
      expect(asked.view).toMatchObject({
        position: 2,
        running: 0,
        usage: { jobsUsed: 2, iterationsUsed: 0 },
      });
      const repeat = { ...request(), view: true, idempotency: { key: 'k', fingerprint: 'f', ttlMs: 60_000 } };
      const first = await admitOk(store, repeat);
      const again = await admitOk(store, { ...repeat, job: { ...repeat.job } });
      expect(again).toMatchObject({ kind: 'duplicate', job: { id: first.job.id }, view: { position: 3 } });
      expect((await admitOk(store, request())).view).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
