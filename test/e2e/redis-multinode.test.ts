/**
 * Many servers and worker hosts on one real Redis: 2 `jobgate serve` processes take the
 * submits, 2 worker-host processes run the jobs. Per-tenant limits must hold across all
 * of them, and every accepted job must complete. The outage case stops Redis (AOF on)
 * mid-run and starts it again: every job accepted before or after completes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/store/redis/redis-keys.js';
import { killAll, repoRoot, spawnNode, startJobgate, waitForOutput } from '../helpers/children.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';

const adminKey = 'jg-multinode-admin-key';
const queue = 'mn';
const perUserLimit = 3;

function configFile(): string {
  const tier = {
    priorityBoost: 0,
    maxConcurrentPerUser: perUserLimit,
    maxConcurrentPerProject: -1,
    dailyJobs: -1,
    iterationDepth: -1,
    iterationBatch: 1,
    ratePerMinute: 100_000,
    burst: 10_000,
  };
  const file = join(mkdtempSync(join(tmpdir(), 'jobgate-mn-')), 'jobgate.config.json');
  writeFileSync(file, JSON.stringify({ tiers: { limited: tier }, defaultTier: 'limited' }));
  return file;
}

async function api(url: string, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: response.status,
    body: (await response.json().catch(() => null)) as Record<string, unknown>,
  };
}

/** Reads a job's SSE stream to its end and returns the event kinds, in order. */
async function streamKinds(url: string, key: string): Promise<string[]> {
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' },
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => (JSON.parse(line.slice(6)) as { kind: string }).kind);
}

function workerHost(redis: TestRedis) {
  const host = spawnNode([
    join(repoRoot, 'test/fixtures/redis-worker-host.mjs'),
    redis.url,
    'jg',
    queue,
    '8',
  ]);
  return waitForOutput(host, /ready/).then(() => host);
}

let redis: TestRedis | undefined;
afterEach(async () => {
  await killAll();
  await redis?.stop();
  redis = undefined;
});

describe('multi-node on Redis', () => {
  it('runs 2,000 jobs of 3 tenants on 2 servers and 2 worker hosts, limits holding globally', async () => {
    redis = await startRedis();
    const config = configFile();
    const env = { JOBGATE_ADMIN_KEY: adminKey };
    const servers = await Promise.all(
      [1, 2].map(() => startJobgate(['--store', redis!.url, '--config', config], env)),
    );
    await Promise.all([workerHost(redis), workerHost(redis)]);

    const tenants = await Promise.all(
      ['t1', 't2', 't3'].map(async (owner) => {
        const created = await api(servers[0]!.url, adminKey, 'POST', '/api/v1/keys', {
          owner,
          role: 'tenant',
          tier: 'limited',
        });
        expect(created.status).toBe(201);
        return created.body.key as string;
      }),
    );
    const ids = new Set<string>();
    for (let batch = 0; batch < 20; batch++) {
      const server = servers[batch % 2]!;
      const key = tenants[batch % 3]!;
      const res = await api(server.url, key, 'POST', '/api/v1/jobs/batch', {
        jobs: Array.from({ length: 100 }, () => ({ queue })),
      });
      expect(res.status).toBe(202);
      for (const item of res.body.items as Array<{ status: string; job: { id: string } }>) {
        expect(item.status).toBe('accepted');
        ids.add(item.job.id);
      }
    }
    expect(ids.size).toBe(2_000);

    const probe = new Redis(redis.url);
    try {
      const keys = redisKeys('jg');
      await waitFor(async () => (await probe.zcard(keys.statusSet(queue, 'completed'))) === 2_000, {
        timeoutMs: 60_000,
        intervalMs: 200,
        message: '2,000 completed jobs',
      });
      const count = (status: string) => probe.zcard(keys.statusSet(queue, status));
      expect(await count('failed')).toBe(0);
      // Queued jobs are counted in the queue's hash (they live in their groups alone).
      expect(Number((await probe.hget(keys.queue(queue), 'queued')) ?? 0) + (await count('running'))).toBe(0);
      for (const owner of ['t1', 't2', 't3']) {
        const peak = Number(await probe.get(`test:jg:peak:${owner}`));
        expect(peak, `peak concurrency of ${owner}`).toBeGreaterThan(0);
        expect(peak, `peak concurrency of ${owner}`).toBeLessThanOrEqual(perUserLimit);
      }
      // Both hosts did work.
      const sample = await api(
        servers[1]!.url,
        adminKey,
        'GET',
        `/api/v1/jobs?queue=${queue}&status=completed&limit=500`,
      );
      const hosts = new Set(
        (sample.body.items as Array<{ result: { host: number } }>).map((job) => job.result.host),
      );
      expect(hosts.size).toBe(2);

      // A transition made elsewhere (a worker host) reaches a stream on the other server: submit on B, watch on A.
      const watched = await api(servers[1]!.url, tenants[0]!, 'POST', '/api/v1/jobs', {
        queue,
        delayMs: 300,
      });
      const kinds = await streamKinds(
        `${servers[0]!.url}/api/v1/jobs/${watched.body.id}/events`,
        tenants[0]!,
      );
      expect(kinds).toContain('running');
      expect(kinds.at(-1)).toBe('completed');
    } finally {
      probe.disconnect();
    }
  }, 120_000);

  it('survives a 5 s Redis outage: every job accepted before or after it completes', async () => {
    redis = await startRedis({ appendonly: true });
    const server = await startJobgate(['--store', redis.url], { JOBGATE_ADMIN_KEY: adminKey });
    await workerHost(redis);
    const accepted: string[] = [];
    const submit = async () => {
      const res = await api(server.url, adminKey, 'POST', '/api/v1/jobs', { queue }).catch(() => ({
        status: 0,
        body: {},
      }));
      if (res.status === 202) accepted.push((res.body as { id: string }).id);
      return res.status;
    };
    for (let i = 0; i < 100; i++) expect(await submit()).toBe(202);

    await redis.stop();
    const health = await waitFor(
      async () => {
        const res = await fetch(`${server.url}/health`);
        const body = (await res.json()) as { status: string };
        return body.status === 'degraded' ? body : null;
      },
      { timeoutMs: 2_000, message: 'health degraded within 2 s' },
    );
    expect(health.status).toBe('degraded');
    const during: number[] = [];
    const outageEnds = Date.now() + 5_000;
    while (Date.now() < outageEnds) {
      during.push(await submit());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(new Set(during)).toEqual(new Set([503]));

    await redis.start();
    await waitFor(
      async () =>
        ((await (await fetch(`${server.url}/health`)).json()) as { status: string }).status === 'ok',
      { timeoutMs: 5_000, message: 'health ok within 5 s of Redis returning' },
    );
    for (let i = 0; i < 100; i++) expect(await submit()).toBe(202);

    await waitFor(
      async () => {
        const states = await Promise.all(
          accepted.map((id) => api(server.url, adminKey, 'GET', `/api/v1/jobs/${id}`)),
        );
        return states.every((s) => s.status === 200 && s.body.status === 'completed');
      },
      { timeoutMs: 30_000, intervalMs: 250, message: 'every accepted job completed' },
    );
    expect(accepted).toHaveLength(200);
  }, 90_000);
});
