/**
 * A Server-Sent Events response. The reply is hijacked (Fastify sends nothing more),
 * so the headers Fastify had gathered (rate-limit counters) are written here.
 * A comment line every `keepAliveMs` keeps proxies from closing an idle stream.
 */
import type { FastifyReply } from 'fastify';

export const keepAliveMsDefault = 15_000;

export class SseStream {
  private readonly reply: FastifyReply;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private readonly closeListeners: Array<() => void> = [];

  constructor(reply: FastifyReply, keepAliveMs: number) {
    this.reply = reply;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers responses by default, which would hold events back.
      'x-accel-buffering': 'no',
    });
    raw.flushHeaders();
    this.timer = setInterval(() => this.write(': keep-alive\n\n'), keepAliveMs);
    this.timer.unref();
    raw.on('close', () => this.finish());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** One event: `id:` line, then the JSON on one `data:` line. */
  send(id: string, data: unknown): void {
    this.write(`id: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    this.reply.raw.end();
    this.finish();
  }

  private write(chunk: string): void {
    if (!this.closed) this.reply.raw.write(chunk);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
