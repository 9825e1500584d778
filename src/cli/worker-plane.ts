/**
 * The worker side of a server beyond its in-process handlers: the registry (remote
 * workers), its view in the engine's worker directory, and the pools of
 * `queues.<name>.pool`, which start local `jobgate worker` processes with a worker key
 * made for them at start and revoked at close.
 */
import { resolve } from 'node:path';
import type { JobgateConfig } from '../config/config-schema.js';
import { type ApiKeys, poolKeyOwner } from '../engine/api-keys.js';
import type { Engine } from '../engine/engine.js';
import { noWorkers, type WorkerDirectory } from '../engine/worker-directory.js';
import { WorkerRegistry, type WorkerRegistryConfig } from '../engine/worker-registry.js';
import { combineDirectories, RegistryDirectory } from '../engine/worker-registry-directory.js';
import { LocalProcessProvider, type LocalProcessProviderOptions } from '../pool/local-process-provider.js';
import { PoolManager, type PoolManagerConfig } from '../pool/pool-manager.js';
import type { PoolProvider } from '../pool/pool-provider.js';
import type { PoolSettings } from '../pool/queue-pool.js';

export interface WorkerPlaneOptions {
  registry?: Omit<WorkerRegistryConfig, 'engine'> & { refreshMs?: number };
  pools?: Pick<PoolManagerConfig, 'tickMs' | 'graceMs' | 'crashBackoff' | 'stableAfterMs'> & {
    /** Default: local processes. */
    provider?: PoolProvider;
    local?: LocalProcessProviderOptions;
  };
}

export interface WorkerPlane {
  registry: WorkerRegistry;
  pools: PoolManager;
  /** In-process slots and registry slots together, for the engine. */
  directory: WorkerDirectory;
  /** Once the server listens: the pools start their workers against `url`. */
  start(url: string, keys: ApiKeys): Promise<void>;
  /** Pools drain and stop first (their workers need the server), then lease requests end. */
  stop(): Promise<void>;
}

/** `queues.<name>.pool` of the config, with handler modules made absolute (from the working directory). */
export function poolSettings(config: JobgateConfig): Record<string, PoolSettings> {
  const pools: Record<string, PoolSettings> = {};
  for (const [queue, settings] of Object.entries(config.queues)) {
    if (!settings.pool) continue;
    const { handlers, ...rest } = settings.pool;
    pools[queue] = { ...rest, ...(handlers ? { handlers: resolve(handlers) } : {}) };
  }
  return pools;
}

export function createWorkerPlane(
  engine: Engine,
  config: JobgateConfig,
  inProcess: WorkerDirectory,
  options: WorkerPlaneOptions & { onError?: (error: unknown) => void } = {},
): WorkerPlane {
  const registry = new WorkerRegistry({ ...options.registry, engine });
  const registryDirectory = new RegistryDirectory(registry, { refreshMs: options.registry?.refreshMs });
  const settings = poolSettings(config);
  const pools = new PoolManager({
    registry,
    provider: options.pools?.provider ?? new LocalProcessProvider(options.pools?.local),
    pools: settings,
    otherWorkers: inProcess,
    ...options.pools,
    onError: options.onError,
  });
  // A worker the pool spawns counts as initializing at once, not from the next refresh.
  pools.on('registered', (record) => registryDirectory.note(record));
  const poolOutlook: WorkerDirectory = {
    queues: () => [],
    states: () => noWorkers(),
    coldStart: (queue) => pools.coldStart(queue),
  };
  let poolKey: { keys: ApiKeys; id: string } | null = null;
  return {
    registry,
    pools,
    directory: combineDirectories(inProcess, registryDirectory, poolOutlook),
    async start(url, keys) {
      registryDirectory.start();
      if (pools.queues().length === 0) return;
      const created = await keys.create({
        owner: poolKeyOwner,
        role: 'worker',
        tier: config.defaultTier,
        name: `pool workers of this server (${pools.queues().join(', ')})`,
      });
      poolKey = { keys, id: created.record.id };
      // Revoked, every pool worker would fail to authenticate: the key answers 409 instead.
      keys.protect(created.record.id, `the pool workers of ${pools.queues().join(', ')} use it`);
      pools.start({ url, key: created.key });
    },
    async stop() {
      await pools.stop();
      registry.close();
      await registryDirectory.stop();
      if (poolKey) {
        poolKey.keys.release(poolKey.id);
        await poolKey.keys.revoke(poolKey.id).catch(() => {});
      }
      poolKey = null;
    },
  };
}
