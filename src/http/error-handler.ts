/**
 * Every failure leaves as `{error: {code, message, details?}}` with the registry's
 * status. Fastify's own errors (bad JSON, body too large, wrong media type, schema
 * validation) are mapped here too, so no input can produce an unexplained 500.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, type ErrorCode, JobgateError } from '../domain/errors.js';
import { asCallerError, isStoreOutage } from '../store/store-errors.js';
import { type AllowedMethods, markUnauthorized, methodNotAllowed } from './http-conventions.js';

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'JOBGATE_ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'JOBGATE_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'JOBGATE_ERR_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'JOBGATE_ERR_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'JOBGATE_ERR_BAD_REQUEST',
};

const statusCodes: Record<number, ErrorCode> = {
  400: 'JOBGATE_ERR_BAD_REQUEST',
  401: 'JOBGATE_ERR_UNAUTHORIZED',
  403: 'JOBGATE_ERR_FORBIDDEN',
  404: 'JOBGATE_ERR_NOT_FOUND',
  413: 'JOBGATE_ERR_BODY_TOO_LARGE',
  415: 'JOBGATE_ERR_UNSUPPORTED_MEDIA_TYPE',
  429: 'JOBGATE_ERR_RATE_LIMITED',
};

export function sendError(reply: FastifyReply, error: JobgateError): FastifyReply {
  if (error.retryAfterSec !== undefined)
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSec))));
  if (error.status === 401) markUnauthorized(reply);
  const body: { code: string; message: string; details?: unknown } = {
    code: error.code,
    message: error.message,
  };
  if (error.details !== undefined) body.details = error.details;
  return reply.code(error.status).type('application/json').send({ error: body });
}

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

/**
 * The values a field may take when it failed a list of constants (a union of literals
 * reports one `const` miss per literal; an `enum`, its list), so the message can name them.
 */
function allowedValues(issues: ValidationIssue[], instancePath: string): string[] {
  const values: string[] = [];
  for (const issue of issues) {
    if (issue.instancePath !== instancePath) continue;
    const params = issue.params as { allowedValue?: unknown; allowedValues?: unknown[] };
    if (issue.keyword === 'const') values.push(String(params.allowedValue));
    else if (issue.keyword === 'enum' && Array.isArray(params.allowedValues))
      values.push(...params.allowedValues.map(String));
  }
  return [...new Set(values)];
}

export function toJobgateError(error: FastifyError): JobgateError {
  if (error instanceof JobgateError) return error;
  if (error.validation) {
    const first = error.validation[0];
    const where = error.validationContext ?? 'body';
    const path = first?.instancePath ? `${where}${first.instancePath.replaceAll('/', '.')}` : where;
    const extra =
      first?.params && 'additionalProperty' in first.params
        ? ` (${String(first.params.additionalProperty)})`
        : '';
    const allowed =
      first?.keyword === 'const' || first?.keyword === 'enum'
        ? allowedValues(error.validation, first.instancePath)
        : [];
    const message =
      allowed.length > 0
        ? `${path} must be one of: ${allowed.join(', ')}`
        : `${path} ${first?.message ?? 'is invalid'}${extra}`;
    return new JobgateError('JOBGATE_ERR_VALIDATION', message, {
      details: {
        ...(allowed.length > 0 ? { allowed } : {}),
        issues: error.validation.map((v) => ({
          path: `${where}${v.instancePath}`,
          message: v.message,
          params: v.params,
        })),
      },
    });
  }
  const mapped = error.code ? fastifyCodes[error.code] : undefined;
  if (mapped)
    return new JobgateError(mapped, mapped === 'JOBGATE_ERR_BAD_REQUEST' ? error.message : undefined);
  if (isStoreOutage(error)) return asCallerError(error);
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new JobgateError(statusCodes[status] ?? 'JOBGATE_ERR_BAD_REQUEST', error.message);
  }
  return new JobgateError('JOBGATE_ERR_INTERNAL', ERROR_CODES.JOBGATE_ERR_INTERNAL.message);
}

/** 503s that say "later", not "broken": a full queue, a store outage, a shutdown. */
const expectedUnavailable = new Set<ErrorCode>([
  'JOBGATE_ERR_QUEUE_FULL',
  'JOBGATE_ERR_STORE_UNAVAILABLE',
  'JOBGATE_ERR_SHUTTING_DOWN',
]);

/**
 * Expected refusals are not failures of the server: a 4xx or 429 is logged at info, an
 * expected 503 at warn, both as code and message with no stack. Anything else (a 500) is
 * logged at error with the cause and its stack — which only the logs get.
 */
function logRefusal(request: FastifyRequest, mapped: JobgateError, error: FastifyError): void {
  const refusal = { code: mapped.code, statusCode: mapped.status, reason: mapped.message };
  if (mapped.status < 500) request.log.info(refusal, 'request refused');
  else if (expectedUnavailable.has(mapped.code)) request.log.warn(refusal, 'request refused: unavailable');
  else request.log.error({ err: mapped.cause ?? error, code: mapped.code }, 'request failed');
}

export function registerErrorHandling(app: FastifyInstance, allowedMethods: AllowedMethods): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mapped = toJobgateError(error);
    logRefusal(request, mapped, error);
    return sendError(reply, mapped);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const allow = methodNotAllowed(request, allowedMethods);
    if (allow) {
      reply.header('allow', allow.join(', '));
      return sendError(
        reply,
        new JobgateError(
          'JOBGATE_ERR_METHOD_NOT_ALLOWED',
          `${path} takes ${allow.join(', ')}, not ${request.method}`,
          {
            details: { allow },
          },
        ),
      );
    }
    return sendError(reply, new JobgateError('JOBGATE_ERR_NOT_FOUND', `No route ${request.method} ${path}`));
  });
}
