/**
 * `promtool check metrics` (Debian `prometheus`) lints what a live server's /metrics
 * answers: names, HELP, TYPE and suffixes as Prometheus expects. It exits 0 or the
 * test prints its complaints.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

function promtool(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('promtool check metrics', () => {
  it('exits 0 on a live server’s /metrics after jobs ran, failed and were refused', async () => {
    server = await createTestServer({
      setup: (workers) =>
        workers.register('p', async (job) => {
          if ((job.payload as { fail?: boolean } | null)?.fail) throw new Error('boom');
        }),
    });
    const app = server.app;
    for (const payload of [{}, { fail: true }]) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/jobs',
        payload: { queue: 'p', payload, maxAttempts: 1 },
      });
      expect(response.statusCode).toBe(202);
    }
    await app.inject({ method: 'GET', url: '/api/v1/jobs/nope' });
    await waitFor(async () => {
      const body = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      return /jobgate_jobs_failed_total\{queue="p"\} 1/.test(body);
    });
    // Over a real socket, as Prometheus scrapes it.
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const response = await fetch(`${address}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const { status, output } = promtool(text);
    expect(output).toBe('');
    expect(status).toBe(0);
    // The series operators alert on, with bounded labels (route patterns, not URLs).
    expect(text).toMatch(/jobgate_job_queue_latency_seconds_count\{queue="p"\} 2/);
    expect(text).toMatch(/jobgate_queue_oldest_job_age_seconds\{queue="p"\} 0/);
    expect(text).toMatch(
      /jobgate_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/jobs\/:id",status_class="4xx"\} 1/,
    );
    expect(text).not.toContain('/api/v1/jobs/nope');
  });

  it('reports the age of the oldest queued job', async () => {
    server = await createTestServer();
    await server.app.inject({ method: 'POST', url: '/api/v1/jobs', payload: { queue: 'idle', payload: {} } });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const body = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    const age = Number(/jobgate_queue_oldest_job_age_seconds\{queue="idle"\} ([0-9.]+)/.exec(body)?.[1]);
    expect(age).toBeGreaterThanOrEqual(1);
    expect(age).toBeLessThan(30);
  });
});
