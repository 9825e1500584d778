/**
 * Serves the built dashboard (dashboard/ → dist/dashboard/ by `npm run build`) at `/`.
 * Files under assets/ carry a content hash in their names, so they are cached for a
 * year as immutable; index.html (and anything else) is revalidated on every load, so
 * a new build is picked up at once. The dashboard routes with the URL hash (#/jobs/…),
 * so the server needs no history fallback and unknown paths keep the API's 404.
 *
 * Only the files present at start are routes (`wildcard: false`): a rebuild while
 * the server runs is served after a restart.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** From dist/http/ the build sits in dist/dashboard/; from src/http/ (tests, tsx) in ../../dist/dashboard/. */
export function findDashboardDir(): string | null {
  for (const relative of ['../dashboard/', '../../dist/dashboard/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  return null;
}

export const immutableCache = 'public, max-age=31536000, immutable';
export const revalidateCache = 'no-cache';

export async function registerDashboard(app: FastifyInstance, options: { dir?: string | null } = {}) {
  const root = options.dir === undefined ? findDashboardDir() : options.dir;
  if (root === null) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send('Jobgate is running. The dashboard is not built: run `npm run build`. API docs: /docs\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    cacheControl: false,
    decorateReply: false,
    setHeaders: (reply, path) => {
      reply.header('cache-control', /[/\\]assets[/\\]/.test(path) ? immutableCache : revalidateCache);
      reply.header('x-content-type-options', 'nosniff');
    },
  });
}
