/**
 * Security headers on every response (@fastify/helmet): a Content-Security-Policy that
 * lets the dashboard and Swagger UI load only their own files, no framing by any other
 * page (`frame-ancestors 'none'` and `X-Frame-Options: DENY`: clickjacking),
 * `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`.
 *
 * The dashboard's bundle is one module script and one stylesheet from /assets, its
 * favicon a data: URL, its live data fetch() and a WebSocket to this origin ('self'
 * covers ws: and wss: of the same host). Swagger UI's page loads its scripts from
 * /docs/static and sets inline styles, hence style-src 'unsafe-inline' (styles only,
 * never scripts). `upgrade-insecure-requests` is off: a server on plain HTTP (the
 * default, behind a TLS proxy or on a LAN) would otherwise send the browser to an
 * https:// that does not answer.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

export const contentSecurityPolicy = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    connectSrc: ["'self'"],
    fontSrc: ["'self'", 'data:'],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    imgSrc: ["'self'", 'data:'],
    objectSrc: ["'none'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
  },
};

export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // API answers are read cross-origin by SDKs in browsers (CORS decides who may); CORP
    // same-origin would also block a dashboard served from another origin through a proxy.
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
}
