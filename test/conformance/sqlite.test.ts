import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { capacityConformance } from './capacity-conformance.js';
import { type StoreFactory, storeConformance } from './store-conformance.js';

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
