/**
 * Artifact routes (docs/ARTIFACTS.md):
 * - PUT /workers/:workerId/jobs/:jobId/artifacts/:name — a worker uploads, the body
 *   streamed straight to the blob store, fenced by `X-Lease-Token` (stale → 409);
 * - GET /jobs/:id/artifacts — the job's artifacts with a signed link each;
 * - GET /jobs/:id/artifacts/:name — the bytes (Range → 206, ETag), for the owner and
 *   admins, or for anyone with a valid signed link (`?exp=&sig=`, no API key);
 * - GET /artifact-counts?ids= — how many artifacts each job has (the jobs list).
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { contentDisposition } from '../../domain/artifact-name.js';
import { JobgateError } from '../../domain/errors.js';
import type { ArtifactService } from '../../engine/artifact-service.js';
import type { Principal } from '../../engine/principal.js';
import type { ArtifactRecord } from '../../store/artifact-meta.js';
import {
  ArtifactList,
  ArtifactParams,
  ArtifactView,
  CountsAnswer,
  CountsQuery,
  DownloadQuery,
  JobArtifactsParams,
  UploadHeaders,
  UploadParams,
} from '../artifact-schemas.js';
import { parseRange } from '../byte-range.js';
import { iso } from '../iso-time.js';
import { errorResponses } from '../schemas.js';
import type { SignedLinks } from '../signed-links.js';

export interface ArtifactRouteOptions {
  artifacts: ArtifactService;
  links: SignedLinks;
  /** On S3: downloads answer 302 to a presigned bucket URL. */
  presignedRedirect?: boolean;
}

/** Artifact bytes are the uploader's: never run as a page of this origin, whatever their type. */
const sandbox =
  "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'";

/**
 * The request body as a stream of its own: when the upload stops early (a limit, a lost
 * lease) the request is drained, not destroyed, so the error answer still reaches the caller.
 */
function uploadBody(raw: IncomingMessage): Readable {
  const body = new PassThrough();
  raw.pipe(body);
  raw.once('close', () => {
    if (!raw.complete) body.destroy(new Error('the upload was interrupted'));
  });
  body.once('close', () => {
    raw.unpipe(body);
    if (!raw.readableEnded) raw.resume();
  });
  return body;
}

export const artifactRoutes: FastifyPluginAsyncTypebox<ArtifactRouteOptions> = async (
  app,
  { artifacts, links, presignedRedirect },
) => {
  const tags = ['artifacts'];
  // Upload bodies are any type and are streamed by the handler, never parsed (this plugin only).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  const origin = (request: FastifyRequest) => `${request.protocol}://${request.host}`;
  const view = (request: FastifyRequest, record: ArtifactRecord) => {
    const link = links.sign(record.jobId, record.name);
    return {
      name: record.name,
      size: record.size,
      contentType: record.contentType,
      sha256: record.sha256,
      createdAt: iso(record.createdAt),
      url: `${origin(request)}${link.path}`,
      expiresAt: iso(link.expiresAt),
    };
  };

  app.put(
    '/workers/:workerId/jobs/:jobId/artifacts/:name',
    {
      config: { roles: ['worker', 'admin'] as const },
      schema: {
        tags,
        summary: 'Upload an artifact of a running job (the body is the file, streamed)',
        description:
          'Send the job’s current lease token in `X-Lease-Token` and the file’s type in `Content-Type`. ' +
          'A stale token answers 409; over `maxArtifactBytes` or the job’s `maxJobBytes` 413. ' +
          'The same name again replaces the artifact.',
        params: UploadParams,
        headers: UploadHeaders,
        response: { 201: ArtifactView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const declared = Number(request.headers['content-length']);
      const body = uploadBody(request.raw);
      try {
        const record = await artifacts.put(
          { id: request.params.jobId, token: request.headers['x-lease-token'] },
          request.params.name,
          body,
          {
            contentType: request.headers['content-type'],
            declaredBytes: Number.isFinite(declared) ? declared : undefined,
          },
        );
        return reply.code(201).send(view(request, record));
      } catch (error) {
        // Unread upload bytes are discarded, and the connection is not reused after them.
        body.destroy();
        reply.header('connection', 'close');
        throw error;
      }
    },
  );

  app.get(
    '/jobs/:id/artifacts',
    {
      schema: {
        tags,
        summary: 'List a job’s artifacts, each with a signed download link',
        params: JobArtifactsParams,
        response: { 200: ArtifactList, ...errorResponses },
      },
    },
    async (request) => ({
      items: (await artifacts.list(request.params.id, request.principal)).map((record) =>
        view(request, record),
      ),
    }),
  );

  app.get(
    '/jobs/:id/artifacts/:name',
    {
      config: { signedLink: true },
      schema: {
        tags,
        summary:
          'Download an artifact (Range → 206); with `exp` and `sig` (a signed link) no API key is needed',
        params: ArtifactParams,
        querystring: DownloadQuery,
        response: {
          200: Type.Unknown({ description: 'The bytes' }),
          206: Type.Unknown({ description: 'The requested range' }),
          302: Type.Null({ description: 'To a presigned bucket URL (S3 with presignedRedirect)' }),
          304: Type.Null(),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id, name } = request.params;
      const { exp, sig } = request.query;
      // Unset when the auth hook let a signed link through without a key.
      let principal: Principal | null = request.principal ?? null;
      if (exp !== undefined && sig !== undefined) {
        const verdict = links.verify(id, name, exp, sig);
        if (verdict === 'invalid')
          throw new JobgateError('JOBGATE_ERR_ARTIFACT_NOT_FOUND', `Job ${id} has no artifact ${name}`);
        if (verdict === 'expired') throw new JobgateError('JOBGATE_ERR_LINK_EXPIRED');
        principal = null;
      } else if (!principal) {
        throw new JobgateError('JOBGATE_ERR_UNAUTHORIZED');
      }
      const record = await artifacts.find(id, name, principal);
      const etag = `"${record.sha256}"`;
      reply
        .header('etag', etag)
        .header('accept-ranges', 'bytes')
        .header('cache-control', 'private, max-age=0')
        .header('content-security-policy', sandbox)
        .header('x-content-type-options', 'nosniff')
        .header('content-disposition', contentDisposition('inline', record.name));
      if (request.headers['if-none-match'] === etag) return reply.code(304).send(null);
      if (presignedRedirect && artifacts.blobs.presignedUrl) {
        const url = await artifacts.blobs.presignedUrl({
          jobId: record.jobId,
          key: record.blobKey,
          expiresSec: 300,
          contentType: record.contentType,
          fileName: record.name,
        });
        return reply.redirect(url, 302);
      }
      const range = parseRange(request.headers.range, record.size);
      if (range === 'unsatisfiable') {
        reply.header('content-range', `bytes */${record.size}`);
        throw new JobgateError(
          'JOBGATE_ERR_RANGE_NOT_SATISFIABLE',
          `The range ${request.headers.range} is outside the artifact's ${record.size} bytes`,
          { details: { size: record.size } },
        );
      }
      const opened = await artifacts.open(record, range ?? undefined);
      reply.type(record.contentType);
      if (range) {
        reply
          .code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${record.size}`)
          .header('content-length', String(range.end - range.start + 1));
      } else {
        reply.header('content-length', String(record.size));
      }
      return reply.send(opened.body);
    },
  );

  app.get(
    '/artifact-counts',
    {
      schema: {
        tags,
        summary: 'How many artifacts each of these jobs has (jobs the key cannot see count as none)',
        querystring: CountsQuery,
        response: { 200: CountsAnswer, ...errorResponses },
      },
    },
    async (request) => {
      const ids = [...new Set(request.query.ids.split(',').filter((id) => id.length > 0 && id.length <= 64))];
      if (ids.length > 500) throw new JobgateError('JOBGATE_ERR_VALIDATION', 'At most 500 job ids at once');
      const counts = await artifacts.counts(ids, request.principal);
      return { counts: Object.fromEntries(counts) };
    },
  );
};
