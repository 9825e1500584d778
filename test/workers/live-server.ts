/**
 * A whole server listening on a real port (startServer), for tests where workers and
 * clients talk HTTP: short leases, a fast reaper, quick registry and pool ticks.
 */
import { type RunningServer, type ServerOptions, startServer } from '../../src/cli/server.js';
import { JobgateClient } from '../../src/client/index.js';
import { validateConfig } from '../../src/config/load-config.js';

export const liveAdminKey = 'jg-live-test-admin-key';

/** The worker and pool routes, called with the admin key (typed here, so tests do not lean on SDK additions). */
export interface Ops {
  workers(query?: {
    queue?: string;
  }): Promise<{ items: Array<{ id: string; state: string; [field: string]: unknown }> }>;
  warmup(queue: string): Promise<{
    status: 'noop' | 'started' | 'starting' | 'at_capacity';
    workersReady: number;
    workersInitializing: number;
    workersRunning: number;
    started: string[];
  }>;
  updatePool(
    queue: string,
    change: { min?: number; max?: number; idleTimeoutSec?: number },
  ): Promise<{ min: number; max: number }>;
  queueStatus(queue: string): Promise<{ workers: Record<string, number> }>;
}

export interface LiveServer {
  server: RunningServer;
  url: string;
  admin: JobgateClient;
  ops: Ops;
  /** A new key of this role (tier `free` is rate-limited; workers never are). */
  createKey(role: 'worker' | 'tenant', owner?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startLiveServer(
  options: Partial<ServerOptions> & { rawConfig?: Record<string, unknown> } = {},
): Promise<LiveServer> {
  const { rawConfig, ...rest } = options;
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    db: ':memory:',
    demo: false,
    adminKey: liveAdminKey,
    config: validateConfig(rawConfig ?? {}),
    engine: { leaseMs: 1_500, intervals: { promoteMs: 20, reapMs: 50, purgeMs: 60_000 } },
    graceMs: 500,
    logger: false,
    ...rest,
    workerPlane: {
      registry: { recheckMs: 200, refreshMs: 100, ...rest.workerPlane?.registry },
      pools: {
        tickMs: 100,
        graceMs: 1_000,
        crashBackoff: { baseMs: 200, maxMs: 1_000 },
        ...rest.workerPlane?.pools,
      },
    },
  });
  const admin = new JobgateClient({ url: server.url, key: liveAdminKey });
  const q = (queue: string) => `/api/v1/queues/${encodeURIComponent(queue)}`;
  const ops: Ops = {
    workers: (query = {}) =>
      admin.request('GET', `/api/v1/workers${query.queue ? `?queue=${query.queue}` : ''}`),
    warmup: (queue) => admin.request('POST', `${q(queue)}/warmup`),
    updatePool: (queue, change) => admin.request('PATCH', q(queue), change),
    queueStatus: (queue) => admin.request('GET', `${q(queue)}/status`),
  };
  return {
    server,
    url: server.url,
    admin,
    ops,
    async createKey(role, owner = role === 'worker' ? 'workers' : 'acme') {
      const created = await admin.request<{ key: string }>('POST', '/api/v1/keys', {
        owner,
        role,
        tier: role === 'tenant' ? 'pro' : 'free',
      });
      return created.key;
    },
    close: () => server.close(),
  };
}
