import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { artifactMetaConformance } from './artifact-meta-conformance.js';
import { capacityConformance } from './capacity-conformance.js';
import { leaseBindingConformance } from './lease-binding-conformance.js';
import { queuePolicyConformance } from './queue-policy-conformance.js';
import { queueRegistryConformance } from './queue-registry-conformance.js';
import { type SharedStoresFactory, scheduleConformance } from './schedule-conformance.js';
import { type StoreFactory, storeConformance } from './store-conformance.js';
import { webhookConformance } from './webhook-conformance.js';

const sqlite: StoreFactory = async () => {
  let now = Date.UTC(2026, 0, 15, 12, 0, 0);
  const store = new SqliteStore({ file: ':memory:', clock: () => now });
  return {
    store,
    advance: (ms: number) => {
      now += ms;
    },
    close: () => store.close(),
  };
};

storeConformance('sqlite', sqlite);
capacityConformance('sqlite', sqlite);
queueRegistryConformance('sqlite', sqlite);
leaseBindingConformance('sqlite', sqlite);

// Three stores on one file, as three processes would share it.
const sharedSqlite: SharedStoresFactory = async () => {
  let now = Date.UTC(2026, 0, 15, 12, 0, 0);
  const dir = mkdtempSync(join(tmpdir(), 'jobgate-schedules-'));
  const open = () => new SqliteStore({ file: join(dir, 'jobgate.db'), clock: () => now });
  const stores = [open(), open(), open()] as const;
  return {
    stores: [...stores],
    advance: (ms) => {
      now += ms;
    },
    now: () => now,
    close: async () => {
      for (const store of stores) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

scheduleConformance('sqlite', sharedSqlite);
queuePolicyConformance('sqlite', sharedSqlite);
webhookConformance('sqlite', sqlite);
artifactMetaConformance('sqlite', sqlite);
