/**
 * `jobgate keys create --db FILE | --store URL`: makes a key in the store itself, with no
 * server — how the first admin key of a production deployment is made (a server in
 * production without JOBGATE_ADMIN_KEY refuses to start until the store holds one). Tiers
 * come from the configuration file, as the server's do.
 */
import { ConfigError, loadConfig } from '../config/load-config.js';
import { ApiKeys } from '../engine/api-keys.js';
import type { Role } from '../engine/principal.js';
import { createStore } from './create-store.js';
import { EXIT } from './exit-codes.js';
import { unreachableLine } from './store-startup.js';

export interface StoreKeyRequest {
  db?: string;
  store?: string;
  config?: string;
  owner: string;
  role: Role;
  tier?: string;
  name?: string;
}

/** Waits this long for the store: a CLI call fails rather than retrying forever. */
const connectTimeoutMs = 5_000;

export async function createKeyInStore(request: StoreKeyRequest): Promise<void> {
  const fail = (line: string, code: number) => {
    process.stderr.write(`jobgate keys create: ${line}\n`);
    process.exitCode = code;
  };
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(request.config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail(`invalid configuration: ${error.message}`, EXIT.usage);
  }
  const created = createStore({
    storeUrl: request.store,
    db: request.db ?? './data/jobgate.db',
    fairness: config.fairness,
    warn: () => {},
  });
  const giveUp = new AbortController();
  const timer = setTimeout(() => giveUp.abort(), connectTimeoutMs);
  let failure: Error | null = null;
  try {
    await created.connect((error) => {
      failure = error;
      giveUp.abort();
    }, giveUp.signal);
  } catch {
    await created.store.close();
    const reason = failure ?? new Error(`no answer within ${connectTimeoutMs} ms`);
    return fail(
      unreachableLine(request.store ?? request.db ?? '', reason).replace(/, retrying$/, ''),
      EXIT.unavailable,
    );
  } finally {
    clearTimeout(timer);
  }
  try {
    const tier =
      request.tier ?? (request.role === 'admin' && config.tiers.internal ? 'internal' : config.defaultTier);
    const keys = new ApiKeys(created.store, { tiers: Object.keys(config.tiers) });
    const made = await keys.create({ owner: request.owner, role: request.role, tier, name: request.name });
    process.stdout.write(`${made.key}\n`);
    process.stderr.write(
      `created ${made.record.id} (${made.record.role}, tier ${made.record.tier}) in the store — store the key now, it is not shown again\n`,
    );
  } catch (error) {
    fail((error as Error).message, EXIT.usage);
  } finally {
    await created.store.close();
  }
}
