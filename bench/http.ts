/**
 * The HTTP path: `POST /api/v1/jobs` through the whole server (auth, rate limit,
 * admission, the store, the job view with usage and position) at 50 connections, next
 * to a bare Fastify route answering the same JSON on the same machine, so the overhead
 * shows as a ratio. autocannon drives each target for a fixed time; nothing runs the
 * jobs (no handler is registered for the queue), so this is admission alone.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { type RunningServer, startServer } from '../src/cli/server.js';
import { validateConfig } from '../src/config/load-config.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { printTable, round } from './stats.js';

const durationSec = 8;
const connections = 50;
const adminKey = 'bench-admin-key';

interface Result {
  name: string;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

async function drive(
  name: string,
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<Result> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: durationSec,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
  };
}

/** A tier with room for the whole run: the bench measures the path, not the limiter's refusals. */
const config = () =>
  validateConfig({
    tiers: {
      bench: {
        priorityBoost: 0,
        maxConcurrentPerUser: 10,
        maxConcurrentPerProject: -1,
        dailyJobs: -1,
        iterationDepth: -1,
        iterationBatch: 1,
        ratePerMinute: 10_000_000,
        burst: 1_000_000,
      },
    },
    defaultTier: 'bench',
  });

async function jobgateTarget(server: RunningServer, name: string, sample: string): Promise<Result> {
  const created = await server.app.inject({
    method: 'POST',
    url: '/api/v1/keys',
    headers: { authorization: `Bearer ${adminKey}` },
    payload: { owner: 'bench', role: 'tenant', tier: 'bench' },
  });
  const key = (created.json() as { key: string }).key;
  return drive(name, `${server.url}/api/v1/jobs`, { authorization: `Bearer ${key}` }, sample);
}

export async function run(): Promise<void> {
  const sample = JSON.stringify({ queue: 'http-bench', payload: { text: 'hello world', voice: 'en-GB' } });
  const results: Result[] = [];

  // The same job JSON a submit answers, from a bare route: the floor for any Node HTTP API.
  const bare = Fastify();
  const cannedJob = {
    id: '00000000-0000-0000-0000-000000000000',
    queue: 'http-bench',
    status: 'queued',
    payload: { text: 'hello world' },
  };
  bare.post('/api/v1/jobs', async (_request, reply) => reply.code(202).send(cannedJob));
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });
  results.push(await drive('bare Fastify route', `${bareUrl}/api/v1/jobs`, {}, sample));
  await bare.close();

  const db = join(mkdtempSync(join(tmpdir(), 'jobgate-http-bench-')), 'bench.db');
  const sqlite = await startServer({
    port: 0,
    host: '127.0.0.1',
    db,
    demo: false,
    config: config(),
    adminKey,
  });
  results.push(await jobgateTarget(sqlite, 'jobgate submit (SQLite)', sample));
  await sqlite.close();

  const redis = await startRedis();
  try {
    const onRedis = await startServer({
      port: 0,
      host: '127.0.0.1',
      db,
      demo: false,
      config: config(),
      adminKey,
      storeUrl: redis.url,
    });
    results.push(await jobgateTarget(onRedis, 'jobgate submit (Redis)', sample));
    await onRedis.close();
  } finally {
    await redis.stop();
  }

  const floor = results[0]!;
  console.log(
    `\n## http: POST /api/v1/jobs, ${connections} connections, ${durationSec} s each (autocannon)\n`,
  );
  printTable(
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'req/s vs bare'],
    results.map((r) => [r.name, round(r.rps), r.p50, r.p99, r.non2xx, `${round(r.rps / floor.rps, 3)}×`]),
  );
  console.log(
    JSON.stringify({
      bench: 'http',
      rows: results.map((r) => ({
        name: r.name,
        unit: 'req/s',
        rps: round(r.rps),
        p50: r.p50,
        p99: r.p99,
        ratio: round(r.rps / floor.rps, 3),
      })),
    }),
  );
}
