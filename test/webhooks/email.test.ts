/** The email channel against a real SMTP server (smtp-server) started by the test. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait-for.js';
import { startWebhookServer } from './webhook-server.js';

interface Mail {
  from: string;
  to: string[];
  data: string;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function startSmtp(): Promise<{ port: number; mails: Mail[] }> {
  const mails: Mail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => smtp.close(() => resolve())));
  return { port: (smtp.server.address() as AddressInfo).port, mails };
}

describe('webhook email channel', () => {
  it('mails each subscribed event through the configured SMTP server', { timeout: 30_000 }, async () => {
    const smtp = await startSmtp();
    const s = await startWebhookServer({
      config: {
        webhooks: {
          allowPrivateTargets: true,
          smtp: { host: '127.0.0.1', port: smtp.port, from: 'jobgate@example.com' },
        },
      },
    });
    cleanups.push(() => s.close());
    const created = await s.api('/api/v1/webhooks', {
      method: 'POST',
      body: { email: 'ops@example.com', events: ['job.failed'] },
    });
    expect(created.status).toBe(201);
    const job = await s.api('/api/v1/jobs', {
      method: 'POST',
      body: { queue: 'demo', payload: { ms: 1, fail: true }, maxAttempts: 1 },
    });
    await waitFor(() => smtp.mails.length >= 1, { timeoutMs: 15_000, message: 'the mail' });
    const [mail] = smtp.mails;
    expect(mail!.from).toBe('jobgate@example.com');
    expect(mail!.to).toEqual(['ops@example.com']);
    expect(mail!.data).toMatch(/Subject: \[Jobgate\] job\.failed: demo job/);
    expect(mail!.data).toContain(job.body.id);
    const log = await s.api(`/api/v1/webhooks/${created.body.subscription.id}/deliveries`);
    expect(log.body.items[0]).toMatchObject({
      channel: 'email',
      target: 'ops@example.com',
      status: 'delivered',
    });
  });

  it('refuses an email subscription when the server has no SMTP settings', async () => {
    const s = await startWebhookServer();
    cleanups.push(() => s.close());
    const answer = await s.api('/api/v1/webhooks', { method: 'POST', body: { email: 'ops@example.com' } });
    expect(answer.status).toBe(400);
  });
});
