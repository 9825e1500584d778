/**
 * Paging over HTTP on every store: 1,200 jobs through `GET /jobs` and the running ones
 * through `GET /queues/:queue/active`, page by page with the cursors the server hands
 * out — every job once, none missed (a Redis cursor is longer than a SQLite one).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/http/app.js';
import { RedisStore } from '../../src/store/redis/redis-store.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { JobStore } from '../../src/store/store.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';

const total = 1_200;

const stores: Array<[string, () => Promise<JobStore>]> = [
  ['sqlite', async () => new SqliteStore({ file: ':memory:' })],
  [
    'redis',
    async () => {
      const store = new RedisStore({ url: redis.url, prefix: `p-${randomUUID()}`, timeoutMs: 10_000 });
      await store.connect();
      return store;
    },
  ],
  [
    'redis-cluster',
    async () => {
      const store = new RedisStore({ url: cluster.url, prefix: `p-${randomUUID()}`, timeoutMs: 10_000 });
      await store.connect();
      return store;
    },
  ],
];

let redis: TestRedis;
let cluster: TestRedis;
beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedis({ cluster: true })]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

async function pageAll(app: FastifyInstance, url: string, limit: number): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const response: { statusCode: number; body: string; json<T>(): T } = await app.inject({
      method: 'GET',
      url: `${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    });
    expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
    const page: { items: Array<{ id: string }>; nextCursor: string | null } = response.json();
    seen.push(...page.items.map((job) => job.id));
    cursor = page.nextCursor;
    pages++;
    expect(pages).toBeLessThan(total);
  } while (cursor);
  return seen;
}

describe.each(stores)('paging %s over HTTP', (_name, makeStore) => {
  let store: JobStore;
  let engine: Engine;
  let app: FastifyInstance;
  const ids: string[] = [];
  beforeAll(async () => {
    store = await makeStore();
    engine = new Engine({ store, leaseMs: 600_000 });
    app = await buildApp({ engine });
    // Two queues (two Redis shards in one cursor), created in batches of 600.
    for (const queue of ['paged-a', 'paged-b']) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/jobs/batch',
        payload: { jobs: Array.from({ length: total / 2 }, (_, n) => ({ queue, payload: { n } })) },
      });
      expect(response.statusCode, response.body.slice(0, 300)).toBe(202);
      const { items } = response.json<{ items: Array<{ job?: { id: string } }> }>();
      ids.push(...items.map((item) => item.job!.id));
    }
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await engine?.stop();
    await store?.close();
  });

  it('GET /jobs serves all 1,200 queued jobs once each, 100 a page', async () => {
    const seen = await pageAll(app, '/api/v1/jobs', 100);
    expect(seen).toHaveLength(total);
    expect(new Set(seen)).toEqual(new Set(ids));
  }, 60_000);

  it('GET /jobs?status=queued&queue= pages one queue, 250 a page', async () => {
    const seen = await pageAll(app, '/api/v1/jobs?status=queued&queue=paged-a', 250);
    expect(seen).toHaveLength(total / 2);
    expect(new Set(seen)).toEqual(new Set(ids.slice(0, total / 2)));
  }, 60_000);

  it('GET /queues/:queue/active pages every running job', async () => {
    const claimed = await engine.claim({ queue: 'paged-b', workerId: 'w-paging', limit: total / 2 });
    expect(claimed).toHaveLength(total / 2);
    const seen = await pageAll(app, '/api/v1/queues/paged-b/active', 100);
    expect(new Set(seen)).toEqual(new Set(claimed.map((job) => job.id)));
    expect(seen).toHaveLength(total / 2);
  }, 60_000);
});
