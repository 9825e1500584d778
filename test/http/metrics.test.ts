/**
 * GET /metrics: Prometheus text that parses, values that follow the jobs, an optional
 * bearer token, and one registry per app (two apps in a process do not clash).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { validateConfig } from '../../src/config/load-config.js';
import { Engine } from '../../src/engine/engine.js';
import { buildApp } from '../../src/http/app.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { createTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the text format (0.0.4): every line is a HELP or TYPE comment or
 * a sample `name{label="value",…} number`; it throws on anything else.
 */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  // Values are Go floats: NaN and Inf in any case (prom-client writes `Nan`).
  const sampleLine =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|[nN][aA][nN]|[+-][iI]nf)( -?[0-9]+)?$/;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const match = sampleLine.exec(line);
    if (!match) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!;
    }
    const raw = match[4]!.toLowerCase();
    const parsed =
      raw === 'nan' ? Number.NaN : raw === '+inf' ? Infinity : raw === '-inf' ? -Infinity : Number(raw);
    samples.push({ name: match[1]!, labels, value: parsed });
  }
  return { samples, types };
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.find(
    (sample) => sample.name === name && Object.entries(labels).every(([key, v]) => sample.labels[key] === v),
  )?.value;

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function scrape(app: TestServer['app'], headers: Record<string, string> = {}) {
  const response = await app.inject({ method: 'GET', url: '/metrics', headers });
  expect(response.statusCode, response.body).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(response.body);
}

describe('GET /metrics', () => {
  it('parses as Prometheus text and its values change as jobs run', async () => {
    let release: () => void = () => {};
    server = await createTestServer({
      setup: (workers) =>
        workers.register(
          'm',
          async (job) => {
            if ((job.payload as { fail?: boolean } | null)?.fail) throw new Error('boom');
            await new Promise<void>((resolve) => {
              release = resolve;
            });
          },
          { concurrency: 1 },
        ),
    });
    const before = await scrape(server.app);
    expect(before.types.get('jobgate_jobs_submitted_total')).toBe('counter');
    expect(before.types.get('jobgate_jobs')).toBe('gauge');
    expect(before.types.get('jobgate_job_run_seconds')).toBe('histogram');
    expect(value(before.samples, 'jobgate_store_up')).toBe(1);
    expect(value(before.samples, 'jobgate_store_ping_seconds')).toBeGreaterThanOrEqual(0);
    expect(value(before.samples, 'jobgate_workers', { queue: 'm', state: 'idle' })).toBe(1);
    expect(value(before.samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);

    const submit = (payload: object) =>
      server!.app.inject({
        method: 'POST',
        url: '/api/v1/jobs',
        payload: { queue: 'm', payload, maxAttempts: 1 },
      });
    await submit({});
    await submit({});
    await waitFor(
      async () =>
        value((await scrape(server!.app)).samples, 'jobgate_workers', { queue: 'm', state: 'running' }) === 1,
    );
    const during = (await scrape(server.app)).samples;
    expect(value(during, 'jobgate_jobs_submitted_total', { queue: 'm' })).toBe(2);
    expect(value(during, 'jobgate_jobs', { queue: 'm', state: 'running' })).toBe(1);
    expect(value(during, 'jobgate_jobs', { queue: 'm', state: 'queued' })).toBe(1);
    expect(value(during, 'jobgate_job_wait_seconds_count', { queue: 'm' })).toBe(1);

    release();
    await waitFor(
      async () =>
        value((await scrape(server!.app)).samples, 'jobgate_jobs_completed_total', { queue: 'm' }) === 1,
    );
    release();
    await waitFor(
      async () =>
        value((await scrape(server!.app)).samples, 'jobgate_jobs_completed_total', { queue: 'm' }) === 2,
    );
    await submit({ fail: true });
    await waitFor(
      async () =>
        value((await scrape(server!.app)).samples, 'jobgate_jobs_failed_total', { queue: 'm' }) === 1,
    );
    const after = (await scrape(server.app)).samples;
    expect(value(after, 'jobgate_jobs', { queue: 'm', state: 'completed' })).toBe(2);
    expect(value(after, 'jobgate_jobs', { queue: 'm', state: 'failed' })).toBe(1);
    expect(value(after, 'jobgate_job_run_seconds_count', { queue: 'm', status: 'completed' })).toBe(2);
    expect(value(after, 'jobgate_workers', { queue: 'm', state: 'idle' })).toBe(1);
  });

  it('counts error answers by code, cancellations, removals and retries', async () => {
    server = await createTestServer();
    await server.app.inject({ method: 'GET', url: '/api/v1/jobs/nope' });
    const submitted = await server.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      payload: { queue: 'x' },
    });
    const id = submitted.json().id as string;
    await server.app.inject({ method: 'POST', url: `/api/v1/jobs/${id}/cancel` });
    await server.app.inject({ method: 'POST', url: `/api/v1/jobs/${id}/retry` });
    await server.app.inject({ method: 'POST', url: '/api/v1/queues/x/clear' });
    const { samples } = await scrape(server.app);
    expect(value(samples, 'jobgate_http_errors_total', { code: 'JOBGATE_ERR_JOB_NOT_FOUND' })).toBe(1);
    expect(value(samples, 'jobgate_jobs_cancelled_total', { queue: 'x' })).toBe(1);
    expect(value(samples, 'jobgate_jobs_retried_total', { queue: 'x', reason: 'manual' })).toBe(1);
    expect(value(samples, 'jobgate_jobs_removed_total', { queue: 'x' })).toBe(1);
  });

  it('says the store is down instead of failing the scrape', async () => {
    server = await createTestServer();
    await server.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: { queue: 'x' } });
    await server.store.close();
    const { samples } = await scrape(server.app);
    expect(value(samples, 'jobgate_store_up')).toBe(0);
    expect(samples.some((sample) => sample.name === 'jobgate_jobs')).toBe(false);
  });
});

describe('metrics with API keys and a token', () => {
  let running: RunningServer | null = null;
  afterEach(async () => {
    await running?.close();
    running = null;
  });

  it('needs the metrics token when one is set, and counts 429s of the rate limiter', async () => {
    running = await startServer({
      port: 0,
      host: '127.0.0.1',
      db: ':memory:',
      demo: false,
      adminKey: 'metrics-admin',
      metricsToken: 'scrape-secret',
      graceMs: 100,
    });
    const app = running.app;
    const refused = await app.inject({ method: 'GET', url: '/metrics' });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('JOBGATE_ERR_UNAUTHORIZED');
    const wrong = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.statusCode).toBe(401);
    // An API key is not the metrics token.
    const apiKey = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer metrics-admin' },
    });
    expect(apiKey.statusCode).toBe(401);

    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/keys',
      headers: { authorization: 'Bearer metrics-admin' },
      payload: { owner: 'slow', role: 'tenant', tier: 'free' },
    });
    const key = created.json().key as string;
    let limited = 0;
    for (let i = 0; i < 40 && limited === 0; i++) {
      const response = await app.inject({
        method: 'GET',
        url: '/api/v1/usage',
        headers: { authorization: `Bearer ${key}` },
      });
      if (response.statusCode === 429) limited++;
    }
    expect(limited).toBe(1);
    const { samples } = await scrape(app as TestServer['app'], { authorization: 'Bearer scrape-secret' });
    expect(value(samples, 'jobgate_http_rate_limited_total', { tier: 'free' })).toBe(1);
    expect(value(samples, 'jobgate_http_errors_total', { code: 'JOBGATE_ERR_RATE_LIMITED' })).toBe(1);
    expect(value(samples, 'jobgate_http_errors_total', { code: 'JOBGATE_ERR_UNAUTHORIZED' })).toBe(3);
  });
});

describe('quota deferrals', () => {
  it('are counted per queue', async () => {
    const tier = {
      priorityBoost: 0,
      maxConcurrentPerUser: -1,
      maxConcurrentPerProject: -1,
      dailyJobs: 1,
      iterationDepth: -1,
      iterationBatch: 1,
      ratePerMinute: 6000,
      burst: 1000,
    };
    const running = await startServer({
      port: 0,
      host: '127.0.0.1',
      db: ':memory:',
      demo: false,
      adminKey: 'quota-admin',
      config: validateConfig({ tiers: { tight: tier }, defaultTier: 'tight' }),
      graceMs: 100,
    });
    try {
      const admin = { authorization: 'Bearer quota-admin' };
      const created = await running.app.inject({
        method: 'POST',
        url: '/api/v1/keys',
        headers: admin,
        payload: { owner: 'q', role: 'tenant', tier: 'tight' },
      });
      const tenant = { authorization: `Bearer ${created.json().key}` };
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        const submitted = await running.app.inject({
          method: 'POST',
          url: '/api/v1/jobs',
          headers: tenant,
          payload: { queue: 'daily' },
        });
        statuses.push(submitted.json().status);
      }
      expect(statuses).toEqual(['queued', 'scheduled', 'scheduled']);
      const { samples } = await scrape(running.app as TestServer['app']);
      expect(value(samples, 'jobgate_jobs_quota_deferred_total', { queue: 'daily' })).toBe(2);
      expect(value(samples, 'jobgate_jobs_submitted_total', { queue: 'daily' })).toBe(3);
    } finally {
      await running.close();
    }
  });
});

describe('two apps in one process', () => {
  it('each keeps its own registry: both build, start and scrape without a clash', async () => {
    const stores = [new SqliteStore({ file: ':memory:' }), new SqliteStore({ file: ':memory:' })];
    const engines = stores.map((store) => new Engine({ store }));
    const apps = await Promise.all(engines.map((engine) => buildApp({ engine })));
    // A third app on the same engine as the first: still no clash.
    apps.push(await buildApp({ engine: engines[0]! }));
    try {
      await Promise.all(apps.map((app) => app.listen({ port: 0, host: '127.0.0.1' })));
      await apps[0]!.inject({ method: 'POST', url: '/api/v1/jobs', payload: { queue: 'only-first' } });
      const first = parsePrometheus((await apps[0]!.inject({ method: 'GET', url: '/metrics' })).body).samples;
      const second = parsePrometheus(
        (await apps[1]!.inject({ method: 'GET', url: '/metrics' })).body,
      ).samples;
      const third = parsePrometheus((await apps[2]!.inject({ method: 'GET', url: '/metrics' })).body).samples;
      expect(value(first, 'jobgate_jobs_submitted_total', { queue: 'only-first' })).toBe(1);
      expect(value(second, 'jobgate_jobs_submitted_total', { queue: 'only-first' })).toBeUndefined();
      expect(value(third, 'jobgate_jobs_submitted_total', { queue: 'only-first' })).toBe(1);
    } finally {
      await Promise.all(apps.map((app) => app.close()));
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
