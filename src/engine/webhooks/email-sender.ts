/**
 * The email channel: the same events as a short message through the server's SMTP
 * settings (nodemailer). A delivery's target is the address; its body the event JSON.
 */
import nodemailer, { type Transporter } from 'nodemailer';

export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user?: string;
  pass?: string;
  from: string;
}

export interface EmailResult {
  ok: boolean;
  durationMs: number;
  response: string | null;
  error: string | null;
}

export class EmailSender {
  private readonly transport: Transporter;

  constructor(private readonly smtp: SmtpSettings) {
    this.transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
      connectionTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  async send(to: string, event: string, payload: string): Promise<EmailResult> {
    const started = performance.now();
    const parsed = JSON.parse(payload) as { data?: { id?: string; queue?: string; status?: string } };
    const job = parsed.data ?? {};
    try {
      const info = await this.transport.sendMail({
        from: this.smtp.from,
        to,
        subject: `[Jobgate] ${event}: ${job.queue ?? ''} job ${job.id ?? ''}`.trim(),
        text: `${event}\n\n${JSON.stringify(parsed, null, 2)}\n`,
      });
      return {
        ok: true,
        durationMs: Math.round(performance.now() - started),
        response: info.response,
        error: null,
      };
    } catch (error) {
      return {
        ok: false,
        durationMs: Math.round(performance.now() - started),
        response: null,
        error: (error as Error).message,
      };
    }
  }

  close(): void {
    this.transport.close();
  }
}
