/**
 * Inbound hook signatures, checked over the raw body before anything parses it, in
 * constant time. Three schemes:
 *
 * - `github`: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`, the delivery
 *   id in `X-GitHub-Delivery`, the event in `X-GitHub-Event` (GitHub signs no timestamp).
 * - `standard-webhooks`: `webhook-id`, `webhook-timestamp`, `webhook-signature`, verified
 *   by the `standardwebhooks` library (a `whsec_` secret; timestamps within 5 minutes).
 * - `hmac-sha256`: a generic sender: `<header>: <prefix><hex|base64 HMAC-SHA256(secret, body)>`;
 *   with `timestampHeader`, the signed content is `<timestamp>.<body>` and the timestamp
 *   must be within the tolerance.
 *
 * Any one of several secrets may match (a sender rotating its secret).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export type HookScheme = 'github' | 'standard-webhooks' | 'hmac-sha256';

export interface HookSignatureSettings {
  scheme: HookScheme;
  secrets: string[];
  /** hmac-sha256: the signature header (default x-signature). */
  header?: string;
  /** hmac-sha256: what precedes the digest in the header (e.g. "sha256="); default none. */
  prefix?: string;
  encoding?: 'hex' | 'base64';
  timestampHeader?: string;
  /** hmac-sha256: the header carrying the delivery id (the idempotency key). */
  idHeader?: string;
  toleranceSec?: number;
}

export type Headers = Record<string, string | string[] | undefined>;

export type SignatureCheck = { ok: true; deliveryId: string | null } | { ok: false; reason: string };

export const hookToleranceSecDefault = 300;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** Constant-time equality of two strings (false at once only when their lengths differ). */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function hmac(secret: string, content: Buffer, encoding: 'hex' | 'base64'): string {
  return createHmac('sha256', secret).update(content).digest(encoding);
}

/** GitHub's `X-Hub-Signature-256` value for `body` under `secret`. */
export function githubSignature(secret: string, body: Buffer | string): string {
  return `sha256=${hmac(secret, Buffer.from(body), 'hex')}`;
}

export function checkHookSignature(
  settings: HookSignatureSettings,
  headers: Headers,
  raw: Buffer,
  now = Date.now(),
): SignatureCheck {
  const tolerance = settings.toleranceSec ?? hookToleranceSecDefault;
  if (settings.scheme === 'standard-webhooks') {
    const plain: Record<string, string> = {};
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const value = header(headers, name);
      if (value === undefined) return { ok: false, reason: `Missing ${name}` };
      plain[name] = value;
    }
    const ts = Number(plain['webhook-timestamp']);
    if (!Number.isFinite(ts) || Math.abs(now / 1000 - ts) > tolerance)
      return { ok: false, reason: 'webhook-timestamp is outside the tolerance' };
    for (const secret of settings.secrets) {
      try {
        new Webhook(secret).verify(raw, plain, { jsonParse: false });
        return { ok: true, deliveryId: plain['webhook-id']! };
      } catch {}
    }
    return { ok: false, reason: 'No signature matches' };
  }
  if (settings.scheme === 'github') {
    const given = header(headers, 'x-hub-signature-256');
    if (!given) return { ok: false, reason: 'Missing X-Hub-Signature-256' };
    const matches = settings.secrets.some((secret) => sameText(given, githubSignature(secret, raw)));
    if (!matches) return { ok: false, reason: 'No signature matches' };
    return { ok: true, deliveryId: header(headers, 'x-github-delivery') ?? null };
  }
  const name = settings.header ?? 'x-signature';
  const given = header(headers, name);
  if (!given) return { ok: false, reason: `Missing ${name}` };
  let content = raw;
  if (settings.timestampHeader) {
    const ts = header(headers, settings.timestampHeader);
    const seconds = Number(ts);
    if (ts === undefined || !Number.isFinite(seconds) || Math.abs(now / 1000 - seconds) > tolerance)
      return { ok: false, reason: `${settings.timestampHeader} is missing or outside the tolerance` };
    content = Buffer.concat([Buffer.from(`${ts}.`), raw]);
  }
  const prefix = settings.prefix ?? '';
  const encoding = settings.encoding ?? 'hex';
  const matches = settings.secrets.some((secret) =>
    sameText(given, prefix + hmac(secret, content, encoding)),
  );
  if (!matches) return { ok: false, reason: 'No signature matches' };
  return { ok: true, deliveryId: settings.idHeader ? (header(headers, settings.idHeader) ?? null) : null };
}
