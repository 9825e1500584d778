/**
 * The Redis store's reply deadline (src/store/redis/reply-deadline.ts): a frozen Redis
 * fails the first call after the deadline and the next ones at once; an event-loop stall
 * longer than the deadline fails nothing whose reply is there.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

let redis: TestRedis | undefined;
let store: RedisStore | undefined;
let frozen = false;
afterEach(async () => {
  if (frozen) process.kill(redis!.pid()!, 'SIGCONT');
  frozen = false;
  await store?.close();
  await redis?.stop();
  store = undefined;
  redis = undefined;
});

async function open(timeoutMs: number): Promise<RedisStore> {
  redis = await startRedis();
  store = new RedisStore({ url: redis.url, prefix: `rd-${Date.now()}`, timeoutMs });
  await store.connect();
  return store;
}

const elapsed = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  const outcome = await work().then(
    () => 'ok',
    (error: Error) => error.message,
  );
  return { outcome, ms: performance.now() - started };
};

describe('reply deadline', () => {
  it('fails the first call of a frozen Redis at the deadline, the next at once, and recovers', async () => {
    const s = await open(300);
    process.kill(redis!.pid()!, 'SIGSTOP');
    frozen = true;
    const first = await elapsed(() => s.ping());
    expect(first.outcome).toBe('Command timed out');
    expect(first.ms).toBeGreaterThanOrEqual(290);
    const next = await elapsed(() => s.queues());
    expect(next.outcome).toMatch(/not answering/);
    expect(next.ms).toBeLessThan(100);
    process.kill(redis!.pid()!, 'SIGCONT');
    frozen = false;
    const deadline = Date.now() + 5_000;
    let after = await elapsed(() => s.ping());
    while (after.outcome !== 'ok' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await elapsed(() => s.ping());
    }
    expect(after.outcome).toBe('ok');
  });

  it('does not fail a call whose reply arrived while the event loop was blocked past the deadline', async () => {
    const s = await open(200);
    const pending = s.ping();
    const until = Date.now() + 600;
    while (Date.now() < until) {
      // A synchronous stall (a large JSON parse, a schema compile on a loaded machine).
    }
    await expect(pending).resolves.toBeTypeOf('number');
    await expect(s.queues()).resolves.toBeInstanceOf(Array);
  });
});
