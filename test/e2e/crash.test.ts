import { afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '../../src/client/types.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { killAll, startJobgate } from '../helpers/children.js';
import { tempDbFile } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

const jobCount = 50;
/** The bootstrap admin key the children accept (JOBGATE_ADMIN_KEY). */
const adminKey = 'jg-crash-test-admin-key';

afterEach(killAll);

/** Starts `jobgate serve --demo` on a free port with its own SQLite file. */
function startServer(db: string, extra: string[] = []) {
  return startJobgate(['--demo', '--db', db, ...extra], { JOBGATE_DB: '', JOBGATE_ADMIN_KEY: adminKey });
}

async function api<T>(
  url: string,
  init?: { method?: string; body?: unknown },
): Promise<{ status: number; body: T }> {
  const response = await fetch(url, {
    method: init?.method ?? 'GET',
    headers: {
      authorization: `Bearer ${adminKey}`,
      ...(init?.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init?.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function listDemo(url: string): Promise<JobView[]> {
  const { status, body } = await api<{ items: JobView[]; nextCursor: string | null }>(
    `${url}/api/v1/jobs?queue=demo&limit=500`,
  );
  expect(status).toBe(200);
  return body.items;
}

describe('crash recovery', () => {
  it('completes every accepted job after the server is SIGKILLed mid-run and restarted', {
    timeout: 90_000,
  }, async () => {
    const db = tempDbFile();
    const first = await startServer(db, ['--lease-ms', '1000']);

    const submitted = await Promise.all(
      Array.from({ length: jobCount }, (_, i) =>
        api<JobView>(`${first.url}/api/v1/jobs`, {
          method: 'POST',
          body: { queue: 'demo', payload: { ms: 300, stages: ['one', 'two'], i } },
        }),
      ),
    );
    for (const answer of submitted) expect(answer.status).toBe(202);
    const ids = submitted.map((answer) => answer.body.id);
    expect(new Set(ids).size).toBe(jobCount);

    // Kill it while jobs are running (and, ideally, after some have finished).
    await waitFor(
      async () => {
        const jobs = await listDemo(first.url);
        return jobs.some((job) => job.status === 'running') && jobs.some((job) => job.status === 'completed');
      },
      { timeoutMs: 15_000, intervalMs: 10, message: 'some demo jobs running and some completed' },
    );
    first.process.kill('SIGKILL');
    await first.exited;
    expect(first.process.signalCode).toBe('SIGKILL');

    // What the crash left on disk: every job is there, and some are stuck `running`.
    const store = new SqliteStore({ file: db });
    let runningAtKill: string[];
    try {
      const page = await store.list({ queue: 'demo', limit: 500 });
      expect(page.items.map((job) => job.id).sort()).toEqual([...ids].sort());
      runningAtKill = page.items.filter((job) => job.status === 'running').map((job) => job.id);
      const completedAtKill = page.items.filter((job) => job.status === 'completed');
      expect(completedAtKill.length).toBeLessThan(jobCount);
    } finally {
      await store.close();
    }
    expect(runningAtKill.length).toBeGreaterThan(0);

    const second = await startServer(db, ['--lease-ms', '1000']);
    const final = await waitFor(
      async () => {
        const jobs = await listDemo(second.url);
        return jobs.length === jobCount &&
          jobs.every((job) => ['completed', 'failed', 'cancelled'].includes(job.status))
          ? jobs
          : null;
      },
      { timeoutMs: 60_000, intervalMs: 100, message: `all ${jobCount} jobs terminal after the restart` },
    );

    expect(final.map((job) => job.id).sort()).toEqual([...ids].sort());
    const notCompleted = final.filter((job) => job.status !== 'completed');
    expect(notCompleted, JSON.stringify(notCompleted, null, 2)).toEqual([]);
    for (const job of final) {
      expect(job.attempts, job.id).toBeGreaterThanOrEqual(1);
      expect(job.progress.percent).toBe(100);
      expect(job.result).toMatchObject({ ok: true, ms: 300 });
      if (runningAtKill.includes(job.id))
        expect(job.attempts, `${job.id} was running at the kill`).toBeGreaterThanOrEqual(2);
      else expect(job.attempts, `${job.id} was not running at the kill`).toBe(1);
    }

    // Each job is fetchable by id from the new process, too.
    for (const id of runningAtKill) {
      const { status, body } = await api<JobView>(`${second.url}/api/v1/jobs/${id}`);
      expect(status).toBe(200);
      expect(body.status).toBe('completed');
    }
  });
  it('SIGTERM drains: running jobs are released uncounted and finish after a restart', {
    timeout: 60_000,
  }, async () => {
    const db = tempDbFile();
    const first = await startServer(db, ['--grace-ms', '100']);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await api<JobView>(`${first.url}/api/v1/jobs`, {
        method: 'POST',
        body: { queue: 'demo', payload: { ms: 1_500, i } },
      });
      expect(answer.status).toBe(202);
      ids.push(answer.body.id);
    }
    await waitFor(async () => (await listDemo(first.url)).some((job) => job.status === 'running'), {
      timeoutMs: 15_000,
      message: 'a demo job running',
    });
    first.process.kill('SIGTERM');
    await first.exited;
    expect(first.process.exitCode).toBe(0);

    const store = new SqliteStore({ file: db });
    try {
      const { items } = await store.list({ queue: 'demo', limit: 500 });
      expect(items.map((job) => job.id).sort()).toEqual([...ids].sort());
      // Nothing is left leased by the dead process, and a released attempt is not counted.
      expect(items.filter((job) => job.status === 'running')).toEqual([]);
      const queued = items.filter((job) => job.status === 'queued');
      expect(queued.length).toBeGreaterThan(0);
      for (const job of queued) expect(job.attempts, job.id).toBe(0);
    } finally {
      await store.close();
    }

    const second = await startServer(db);
    const final = await waitFor(
      async () => {
        const jobs = await listDemo(second.url);
        return jobs.length === ids.length && jobs.every((job) => job.status === 'completed') ? jobs : null;
      },
      { timeoutMs: 30_000, intervalMs: 100, message: 'every job completed after the restart' },
    );
    for (const job of final) expect(job.attempts, job.id).toBe(1);
  });
});
