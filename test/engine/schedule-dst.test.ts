/** A Europe/Berlin schedule run by the schedule service over both DST changes, on a test clock. */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { everySecond } from '../conformance/schedule-conformance.js';

async function runsBetween(from: string, to: string, cron: string): Promise<string[]> {
  let now = Date.parse(from);
  const store = new SqliteStore({ file: ':memory:', clock: () => now });
  const engine = new Engine({ store });
  try {
    await store.schedules.createSchedule(everySecond({ name: 'nightly', cron, timezone: 'Europe/Berlin' }));
    const runs = new Set<string>();
    // A pass every ten minutes, as a server's service would run (only more often).
    for (; now <= Date.parse(to); now += 600_000) {
      await engine.services.scheduler.runOnce();
      const { lastRunAt } = (await store.schedules.getSchedule('nightly'))!;
      if (lastRunAt !== null) runs.add(new Date(lastRunAt).toISOString());
    }
    expect((await store.list({ queue: 'cron', limit: 100 })).items).toHaveLength(runs.size);
    return [...runs];
  } finally {
    await store.close();
  }
}

describe('a schedule in Europe/Berlin across DST', () => {
  it('fires at the documented times in spring (the skipped 02:30 runs at 03:00 CEST)', async () => {
    expect(await runsBetween('2027-03-26T12:00:00Z', '2027-03-29T12:00:00Z', '30 2 * * *')).toEqual([
      '2027-03-27T01:30:00.000Z',
      '2027-03-28T01:00:00.000Z',
      '2027-03-29T00:30:00.000Z',
    ]);
  });

  it('fires at the documented times in autumn (the repeated 02:30 runs once)', async () => {
    expect(await runsBetween('2027-10-29T12:00:00Z', '2027-11-01T12:00:00Z', '30 2 * * *')).toEqual([
      '2027-10-30T00:30:00.000Z',
      '2027-10-31T00:30:00.000Z',
      '2027-11-01T01:30:00.000Z',
    ]);
  });
});
