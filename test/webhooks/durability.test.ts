/**
 * Webhook durability: the sweep records what the event stream never saw (a crash
 * between a job's end and its recording), and a server SIGKILLed mid-run loses no
 * delivery — every job's terminal event reaches the receiver after a restart.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { unlimitedOwner } from '../../src/store/store.js';
import { killAll, startJobgate } from '../helpers/children.js';
import { tempDbFile } from '../helpers/test-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';
import { adminKey, api, startWebhookServer } from './webhook-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await killAll();
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function receiver(respond?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(respond);
  cleanups.push(() => r.close());
  return r;
}

describe('webhook durability', () => {
  it('the sweep delivers a terminal event the event stream never carried', { timeout: 20_000 }, async () => {
    const s = await startWebhookServer();
    cleanups.push(() => s.close());
    const r = await receiver();
    const created = await s.api('/api/v1/webhooks', {
      method: 'POST',
      body: { url: r.url, queues: ['silent'] },
    });
    r.secrets.push(created.body.secret);
    // Straight through the store: no engine, so no event — as if the server died right after the transition.
    const store = s.engine.store;
    const id = store.newJobId?.('silent') ?? 'silent-job-1';
    await store.admit([
      {
        job: {
          id,
          queue: 'silent',
          type: 'default',
          payload: { n: 1 },
          priority: 5,
          maxAttempts: 1,
          timeoutMs: null,
          runAt: null,
          delayMs: null,
          owner: 'system',
          projectId: null,
          parentId: null,
        },
        limits: unlimitedOwner,
        calendar: { resetOffsetMs: 0, jitterMs: 0 },
        idempotency: null,
      },
    ]);
    const [claimed] = await store.claim({ queue: 'silent', workerId: 'w', limit: 1, leaseMs: 10_000 });
    await store.complete({ id: claimed!.id, token: claimed!.leaseToken, result: { done: true } });
    await waitFor(() => r.accepted.size >= 1, { timeoutMs: 10_000, message: 'the swept delivery' });
    expect(r.received[0]!.verified).toMatchObject({
      type: 'job.completed',
      data: { id, result: { done: true } },
    });
  });

  it('loses no delivery when the server is SIGKILLed mid-run', { timeout: 120_000 }, async () => {
    const db = tempDbFile();
    const config = join(dirname(db), 'jobgate.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        webhooks: {
          allowPrivateTargets: true,
          retryDelaysSec: [0.2, 0.4, 0.8, 1, 1, 1, 1],
          timeoutMs: 1000,
          connectTimeoutMs: 500,
        },
      }),
    );
    const args = ['--demo', '--db', db, '--config', config, '--lease-ms', '1000'];
    const env = { JOBGATE_DB: '', JOBGATE_ADMIN_KEY: adminKey, JOBGATE_CONFIG: '' };
    const first = await startJobgate(args, env);
    // A receiver slower than the jobs, so deliveries are still owed when the server dies.
    const r = await receiver(() => ({ status: 200, delayMs: 40 }));
    const call = api(first.url);
    const created = await call('/api/v1/webhooks', { method: 'POST', body: { url: r.url } });
    expect(created.status).toBe(201);
    r.secrets.push(created.body.secret);
    const ids: string[] = [];
    for (let batch = 0; batch < 4; batch++) {
      const jobs = Array.from({ length: 50 }, (_, i) => ({ queue: 'demo', payload: { ms: 20, i } }));
      const answer = await call('/api/v1/jobs/batch', { method: 'POST', body: { jobs } });
      expect(answer.status).toBe(202);
      ids.push(...answer.body.items.map((item: { job: { id: string } }) => item.job.id));
    }
    await waitFor(() => r.accepted.size >= 20, {
      timeoutMs: 30_000,
      message: 'some deliveries before the kill',
    });
    first.process.kill('SIGKILL');
    await first.exited;
    const deliveredBeforeKill = r.accepted.size;
    expect(deliveredBeforeKill).toBeLessThan(200);

    const second = await startJobgate(args, env);
    const delivered = () =>
      new Set(r.received.filter((e) => e.verified?.type === 'job.completed').map((e) => e.verified!.data.id));
    await waitFor(() => ids.every((id) => delivered().has(id)), {
      timeoutMs: 90_000,
      intervalMs: 100,
      message: 'every job’s completion delivered after the restart',
    });
    expect(r.received.every((e) => e.verified !== null)).toBe(true);
    const jobs = await api(second.url)('/api/v1/jobs?queue=demo&status=completed&limit=500');
    expect(jobs.body.items).toHaveLength(200);
  });
});
