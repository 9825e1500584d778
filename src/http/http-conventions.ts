/**
 * What HTTP clients and generated SDKs expect of any API: a request id on every answer
 * (the caller's `X-Request-Id` when it is a sane token, else a fresh one, and the same
 * id in the logs), `405` with `Allow` for a known path asked with another method (rather
 * than a 404 that says the path does not exist), `WWW-Authenticate: Bearer` on every
 * 401, and CORS for the origins the config lists (none by default: a browser page on
 * another origin cannot call the API unless an operator allows it).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's genReqId: the caller's id when it is a plain token, so it can be traced end to end. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
}

export const wwwAuthenticate = 'Bearer realm="jobgate"';

export interface CorsSettings {
  /** Origins allowed to call the API from a browser; empty = CORS off. */
  origins: string[];
}

/** Matches a concrete path against a route pattern (`/jobs/:id`, a trailing `*`). */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((part) =>
      part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${source}$`);
}

export async function registerHttpConventions(app: FastifyInstance, options: { cors?: CorsSettings }) {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  app.addHook('onRoute', (route) => {
    if (route.url === '*' || route.url === '/*') return;
    const pattern = patternOf(route.url);
    let entry = routes.find((known) => known.pattern.source === pattern.source);
    if (!entry) {
      entry = { pattern, methods: new Set() };
      routes.push(entry);
    }
    for (const method of [route.method].flat()) entry.methods.add(method);
  });

  const origins = options.cors?.origins ?? [];
  if (origins.length > 0) {
    await app.register(cors, {
      origin: origins.includes('*') ? '*' : origins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'PUT', 'DELETE'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'last-event-id', 'x-request-id'],
      exposedHeaders: [
        'x-request-id',
        'retry-after',
        'x-ratelimit-limit',
        'x-ratelimit-remaining',
        'x-ratelimit-reset',
      ],
      maxAge: 600,
    });
  }

  return {
    /** The methods a path takes, when it is a route under another method; null when it is no route. */
    allowedMethods(path: string): string[] | null {
      const methods = new Set<string>();
      for (const route of routes) if (route.pattern.test(path)) for (const m of route.methods) methods.add(m);
      return methods.size > 0 ? [...methods].sort() : null;
    },
  };
}

export function markUnauthorized(reply: FastifyReply): void {
  reply.header('www-authenticate', wwwAuthenticate);
}

export type AllowedMethods = (path: string) => string[] | null;

/** For the not-found handler: `Allow` and the 405 message, or null for a path no route has. */
export function methodNotAllowed(request: FastifyRequest, allowed: AllowedMethods): string[] | null {
  const path = request.url.split('?')[0] ?? request.url;
  const methods = allowed(path);
  return methods && !methods.includes(request.method) ? methods : null;
}
