/** A list cursor holds only under the filter it was made with, on every backend. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { systemPrincipal } from '../../src/engine/principal.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobStore } from '../../src/store/store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const backends: Array<[string, () => Promise<JobStore>]> = [
  ['sqlite', async () => new SqliteStore({ file: ':memory:' })],
  [
    'redis',
    async () => {
      const store = new RedisStore({ url: redis.url, prefix: `t-${randomUUID()}` });
      await store.connect();
      return store;
    },
  ],
];

describe.each(backends)('list cursors on %s', (_name, open) => {
  it('refuses a cursor under another filter (400) and pages on under its own', async () => {
    const store = await open();
    const engine = new Engine({ store });
    try {
      for (const queue of ['a', 'a', 'a', 'b', 'b', 'b'])
        await engine.submit({ queue, payload: { queue } }, systemPrincipal);
      const first = await engine.list({ queue: 'a', limit: 2 }, systemPrincipal);
      expect(first.items.map((job) => job.queue)).toEqual(['a', 'a']);
      const cursor = first.nextCursor!;
      expect(cursor).toEqual(expect.any(String));
      for (const other of [
        { queue: 'b' },
        {},
        { queue: 'a', status: 'running' as const },
        { queue: 'a', type: 'x' },
      ]) {
        await expect(
          engine.list({ ...other, limit: 2, cursor }, systemPrincipal),
          JSON.stringify(other),
        ).rejects.toMatchObject({
          code: 'JOBGATE_ERR_BAD_REQUEST',
          message: expect.stringMatching(/another filter/),
        });
      }
      const rest = await engine.list({ queue: 'a', limit: 2, cursor }, systemPrincipal);
      expect(rest.items.map((job) => job.queue)).toEqual(['a']);
      expect(rest.nextCursor).toBeNull();
      await expect(engine.list({ limit: 2, cursor: 'garbage' }, systemPrincipal)).rejects.toMatchObject({
        code: 'JOBGATE_ERR_BAD_REQUEST',
      });
    } finally {
      await engine.stop();
      await store.close();
    }
  });
});
