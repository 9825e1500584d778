/** What every backend's webhook store shares: the subscription patch rule and the log cursor. */
import type { SubscriptionPatch, WebhookSubscription } from './webhook-store.js';

/** The subscription after `patch` at `now` (the Redis function applies the same rule in Lua). */
export function applyPatch(
  current: WebhookSubscription,
  patch: SubscriptionPatch,
  now: number,
): WebhookSubscription {
  const next: WebhookSubscription = { ...current, updatedAt: now };
  if (patch.url !== undefined) next.url = patch.url;
  if (patch.email !== undefined) next.email = patch.email;
  if (patch.events !== undefined) next.events = patch.events;
  if (patch.queues !== undefined) next.queues = patch.queues;
  if (patch.description !== undefined) next.description = patch.description;
  if (patch.enabled === true) {
    next.enabled = true;
    next.disabledReason = null;
    next.failingSince = null;
  } else if (patch.enabled === false) {
    next.enabled = false;
    next.disabledReason = patch.disabledReason ?? 'Disabled by PATCH';
  }
  if (patch.rotate) {
    const kept = current.secrets
      .map((s) => (s.expiresAt === null ? { ...s, expiresAt: patch.rotate!.previousExpiresAt } : s))
      .filter((s) => s.expiresAt !== null && s.expiresAt > now);
    next.secrets = [{ secret: patch.rotate.secret, expiresAt: null }, ...kept];
  }
  return next;
}

export function encodeDeliveryCursor(at: number, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

/** null for a cursor no store issued (the caller answers 400). */
export function decodeDeliveryCursor(cursor: string): { at: number; id: string } | null {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    return typeof at === 'number' && typeof id === 'string' ? { at, id } : null;
  } catch {
    return null;
  }
}
