/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): `webhook-id`,
 * `webhook-timestamp` (seconds) and `webhook-signature`, one `v1,<base64 HMAC-SHA256>`
 * per valid secret, space-separated: during a rotation both the new and the old
 * secret sign, so a receiver that knows either verifies.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { WebhookSecret } from '../../store/webhook-store.js';

/** A fresh secret: 24 random bytes, `whsec_` + base64, as the Standard Webhooks libraries take it. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Secrets that sign at `now`: the current one and any rotated-out one not yet expired. */
export function signingSecrets(secrets: WebhookSecret[], now: number): string[] {
  return secrets.filter((s) => s.expiresAt === null || s.expiresAt > now).map((s) => s.secret);
}

export function signatureHeaders(
  messageId: string,
  payload: string,
  secrets: string[],
  at: Date,
): Record<string, string> {
  const signatures = secrets.map((secret) => new Webhook(secret).sign(messageId, at, payload));
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
