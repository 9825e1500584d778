/** A whole Jobgate on a real port with webhooks on fast test timings, and its API as fetch calls. */
import { type RunningServer, startServer } from '../../src/cli/server.js';
import { validateConfig } from '../../src/config/load-config.js';
import type { WebhookSettings } from '../../src/engine/webhooks/webhook-settings.js';
import { tempDbFile } from '../helpers/test-server.js';

export const adminKey = 'jg-webhook-test-admin-key';
export const callbackSecret = 'whsec_Y2FsbGJhY2stc2VjcmV0LWZvci10ZXN0cw==';

export const fastWebhooks: Partial<WebhookSettings> = {
  schedule: { delaysMs: [100, 200, 300, 400, 500, 600, 700], jitter: 0 },
  pollMs: 50,
  sweepMs: 200,
  sweepSettleMs: 100,
};

export async function startWebhookServer(
  options: { config?: Record<string, unknown>; webhooks?: Partial<WebhookSettings>; db?: string } = {},
): Promise<RunningServer & { api: Api }> {
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    db: options.db ?? tempDbFile(),
    demo: true,
    adminKey,
    config: validateConfig({ webhooks: { allowPrivateTargets: true, callbackSecret }, ...options.config }),
    webhooks: { ...fastWebhooks, ...options.webhooks },
    graceMs: 500,
  });
  return Object.assign(server, { api: api(server.url) });
}

// biome-ignore lint/suspicious/noExplicitAny: tests read JSON answers loosely
export type Api = <T = any>(
  path: string,
  init?: { method?: string; body?: unknown; key?: string },
) => Promise<{ status: number; body: T }>;

export function api(url: string): Api {
  return async (path, init = {}) => {
    const response = await fetch(`${url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${init.key ?? adminKey}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

/** A tenant key on the unlimited tier (the default tier's daily quota is 100 jobs). */
export async function tenantKey(call: Api, owner: string): Promise<string> {
  const { status, body } = await call<{ key: string }>('/api/v1/keys', {
    method: 'POST',
    body: { owner, role: 'tenant', tier: 'internal' },
  });
  if (status !== 201) throw new Error(`key: ${status}`);
  return body.key;
}
