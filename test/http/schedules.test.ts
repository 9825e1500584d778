/** Cron schedules over HTTP: the config file's, the API's, tenancy, pause/resume, run now, and live ticks. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { validateConfig } from '../../src/config/load-config.js';
import { openTier } from '../helpers/open-tier.js';
import { waitFor } from '../helpers/wait-for.js';

const adminKey = 'test-admin-key';
const tier = openTier;

describe('schedules over HTTP', () => {
  let server: RunningServer;

  beforeEach(async () => {
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      db: ':memory:',
      demo: false,
      config: validateConfig({
        tiers: { basic: tier, pro: tier },
        defaultTier: 'basic',
        schedules: {
          nightly: { cron: '0 3 * * *', timezone: 'Europe/Berlin', queue: 'reports', owner: 'ops' },
        },
      }),
      adminKey,
      engine: { intervals: { promoteMs: 50, reapMs: 100, purgeMs: 60_000, scheduleMs: 50 } },
      graceMs: 200,
    });
  });
  afterEach(async () => {
    await server.close();
  });

  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    key: string,
    body?: unknown,
  ) => {
    const response = await server.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { authorization: `Bearer ${key}` },
      ...(body === undefined ? {} : { payload: body as object }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: a test reads loosely typed JSON bodies
    return { status: response.statusCode, body: (response.body ? response.json() : {}) as any };
  };
  const tenantKey = async (owner: string) =>
    (await call('POST', '/keys', adminKey, { owner, role: 'tenant', tier: 'pro' })).body.key as string;

  it('serves the config file’s schedule with its next five runs in its time zone', async () => {
    const { status, body } = await call('GET', '/schedules', adminKey);
    expect(status).toBe(200);
    const [nightly] = body.items;
    expect(nightly).toMatchObject({
      name: 'nightly',
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
      owner: 'ops',
      tier: 'basic',
      enabled: true,
      overlap: 'allow',
      missed: 'skip',
      lastRun: null,
    });
    expect(nightly.nextRuns).toHaveLength(5);
    for (const run of nightly.nextRuns) {
      const hour = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit' }).format(
        new Date(run),
      );
      expect(hour).toBe('03');
    }
  });

  it('creates, refuses bad input with the field named, changes, pauses, resumes and deletes', async () => {
    const body = {
      name: 'hourly',
      cron: '0 * * * *',
      queue: 'reports',
      payload: { kind: 'x' },
      owner: 'acme',
      tier: 'pro',
    };
    const created = await call('POST', '/schedules', adminKey, body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, timezone: 'UTC', priority: 5, lastRun: null });
    expect((await call('POST', '/schedules', adminKey, body)).body.error.code).toBe(
      'JOBGATE_ERR_SCHEDULE_EXISTS',
    );
    for (const [patch, field] of [
      [{ cron: '0 0 * * * * 2030' }, 'cron'],
      [{ cron: 'every day' }, 'cron'],
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ tier: 'gold' }, 'tier'],
    ] as const) {
      const bad = await call('POST', '/schedules', adminKey, { ...body, name: 'bad', ...patch });
      expect(bad.status, JSON.stringify(patch)).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'JOBGATE_ERR_VALIDATION', details: { field } });
    }
    expect((await call('POST', '/schedules', adminKey, { ...body, name: 'bad', missed: 'all' })).status).toBe(
      400,
    );
    expect((await call('PATCH', '/schedules/hourly', adminKey, {})).status).toBe(400);
    expect((await call('PATCH', '/schedules/hourly', adminKey, { cron: '1 2 3' })).status).toBe(400);

    const patched = await call('PATCH', '/schedules/hourly', adminKey, { priority: 2, overlap: 'skip' });
    expect(patched.body).toMatchObject({ priority: 2, overlap: 'skip', cron: '0 * * * *' });
    const paused = await call('POST', '/schedules/hourly/pause', adminKey);
    expect(paused.body).toMatchObject({ enabled: false, nextRuns: [] });
    const resumed = await call('POST', '/schedules/hourly/resume', adminKey);
    expect(resumed.body.enabled).toBe(true);
    expect(resumed.body.nextRuns).toHaveLength(5);

    expect((await call('DELETE', '/schedules/hourly', adminKey)).status).toBe(204);
    const gone = await call('GET', '/schedules/hourly', adminKey);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('JOBGATE_ERR_SCHEDULE_NOT_FOUND');
    expect((await call('DELETE', '/schedules/hourly', adminKey)).status).toBe(404);
  });

  it('runs now: a job as the schedule makes it, shown as the last run', async () => {
    const run = await call('POST', '/schedules/nightly/run', adminKey);
    expect(run.status).toBe(202);
    const job = await call('GET', `/jobs/${run.body.jobId}`, adminKey);
    expect(job.body).toMatchObject({ queue: 'reports', owner: 'ops', status: 'queued' });
    const { body } = await call('GET', '/schedules/nightly', adminKey);
    expect(body.lastRun).toMatchObject({ jobId: run.body.jobId, status: 'queued' });
    expect((await call('POST', '/schedules/nope/run', adminKey)).status).toBe(404);
  });

  it('lets a tenant manage its own schedules only, with its own owner and tier', async () => {
    const acme = await tenantKey('acme');
    const created = await call('POST', '/schedules', acme, { name: 'mine', cron: '0 9 * * 1', queue: 'q' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ owner: 'acme', tier: 'pro' });
    const other = await call('POST', '/schedules', acme, {
      name: 'theirs',
      cron: '0 9 * * 1',
      queue: 'q',
      owner: 'bob',
    });
    expect(other.status).toBe(403);
    expect((await call('GET', '/schedules', acme)).body.items.map((s: { name: string }) => s.name)).toEqual([
      'mine',
    ]);
    for (const [method, url] of [
      ['GET', '/schedules/nightly'],
      ['PATCH', '/schedules/nightly'],
      ['POST', '/schedules/nightly/pause'],
      ['POST', '/schedules/nightly/run'],
      ['DELETE', '/schedules/nightly'],
    ] as const) {
      const response = await call(method, url, acme, method === 'PATCH' ? { priority: 1 } : undefined);
      expect(response.status, `${method} ${url}`).toBe(404);
    }
  });

  it('fires an every-second schedule on the live clock, one job per tick', async () => {
    await call('POST', '/schedules', adminKey, {
      name: 'pulse',
      cron: '*/1 * * * * *',
      queue: 'pulse',
      owner: 'ops',
    });
    const jobs = await waitFor(
      async () => {
        const { body } = await call('GET', '/jobs?queue=pulse', adminKey);
        return body.items.length >= 2 ? body.items : null;
      },
      { timeoutMs: 5_000, message: 'two ticks' },
    );
    const { body } = await call('GET', '/schedules/pulse', adminKey);
    expect(jobs.map((j: { id: string }) => j.id)).toContain(body.lastRun.jobId);
  });
});
