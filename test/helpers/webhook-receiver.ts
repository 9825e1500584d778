/**
 * A local HTTP receiver for webhook tests: it verifies each request with the
 * `standardwebhooks` library (as a real receiver would) and answers as `respond` says.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Received {
  id: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body when a secret verified it; null when none did. */
  verified: { type: string; timestamp: string; data: Record<string, unknown> } | null;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Ids that got a 2xx. */
  accepted: Set<string>;
  secrets: string[];
  close(): Promise<void>;
}

type Respond = (request: Received) => { status: number; headers?: Record<string, string>; delayMs?: number };

export async function startReceiver(respond: Respond = () => ({ status: 200 })): Promise<Receiver> {
  const received: Received[] = [];
  const accepted = new Set<string>();
  const secrets: string[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified: Received['verified'] = null;
      for (const secret of secrets) {
        try {
          verified = new Webhook(secret).verify(
            body,
            request.headers as Record<string, string>,
          ) as Received['verified'];
          break;
        } catch {}
      }
      const entry: Received = {
        id: String(request.headers['webhook-id']),
        headers: request.headers,
        body,
        verified,
        at: Date.now(),
      };
      received.push(entry);
      const answer = respond(entry);
      setTimeout(() => {
        if (answer.status >= 200 && answer.status < 300) accepted.add(entry.id);
        response.writeHead(answer.status, answer.headers).end(`answer ${answer.status}`);
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    accepted,
    secrets,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
