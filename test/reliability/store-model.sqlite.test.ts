import fc from 'fast-check';
import { describe, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { modelRuns, storeModelProperty } from './store-model.js';

describe('store model: sqlite', () => {
  it(`keeps every invariant over ${modelRuns.runs} runs of up to ${modelRuns.commands} commands`, {
    timeout: 300_000,
  }, async () => {
    await fc.assert(
      storeModelProperty(async () => {
        const clock = { now: Date.UTC(2026, 0, 15, 12, 0, 0) };
        const store = new SqliteStore({ file: ':memory:', clock: () => clock.now });
        return { store, clock, close: () => store.close() };
      }, modelRuns.commands),
      { numRuns: modelRuns.runs, seed: modelRuns.seed },
    );
  });
});
