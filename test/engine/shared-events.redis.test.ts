/** Events across servers: a transition made through one engine reaches every engine on the same Redis. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { JobEvent } from '../../src/engine/events.js';
import { systemPrincipal } from '../../src/engine/principal.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

it('delivers every transition once to every server, marking the origin as local', async () => {
  const engines = await Promise.all(
    [1, 2].map(async () => {
      const store = new RedisStore({ url: redis.url, prefix: 'shared' });
      await store.connect();
      const engine = new Engine({ store });
      await engine.shareEvents();
      return engine;
    }),
  );
  const [a, b] = engines as [Engine, Engine];
  const seenA: JobEvent[] = [];
  const seenB: JobEvent[] = [];
  a.events.subscribe((event) => seenA.push(event));
  b.events.subscribe((event) => seenB.push(event));

  const { job } = await b.submit({ queue: 'q' }, systemPrincipal);
  const [claimed] = await b.claim({ queue: 'q', workerId: 'w', limit: 1 });
  await b.progress({ id: job.id, token: claimed!.leaseToken }, { percent: 50, stage: 'half', message: null });
  await b.complete({ id: job.id, token: claimed!.leaseToken }, 'done');

  const kinds = ['created', 'queued', 'running', 'progress', 'completed'];
  await waitFor(() => seenA.length === kinds.length && seenB.length === kinds.length, {
    message: 'both servers saw every event',
  });
  expect(seenA.map((e) => e.kind)).toEqual(kinds);
  expect(seenB.map((e) => e.kind)).toEqual(kinds);
  expect(seenA.every((e) => !e.local)).toBe(true);
  expect(seenB.every((e) => e.local)).toBe(true);
  expect(seenA[3]?.job.progress).toEqual({ percent: 50, stage: 'half', message: null });

  for (const engine of engines) {
    await engine.stop();
    await engine.store.close();
  }
});
