/**
 * Schedule conformance: the schedule store (store/schedule-store.ts) and the schedule
 * service on it, the same cases on every backend. The factory opens three stores on ONE
 * backend (one SQLite file, one Redis prefix) with one test clock, as three servers would
 * share it: three engines race for every tick and exactly one job per tick is made.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { ScheduleDefinition } from '../../src/store/schedule-store.js';
import type { JobStore } from '../../src/store/store.js';
import { expectCode, pageAll } from './store-conformance.js';

export interface SharedStores {
  /** Three stores on one backend. */
  stores: [JobStore, JobStore, JobStore];
  /** Moves the shared clock forward. */
  advance(ms: number): void;
  now(): number;
  close(): Promise<void>;
}

export type SharedStoresFactory = () => Promise<SharedStores>;

export const everySecond = (overrides: Partial<ScheduleDefinition> = {}): ScheduleDefinition => ({
  name: 'tick',
  cron: '*/1 * * * * *',
  timezone: 'UTC',
  queue: 'cron',
  type: 'report',
  payload: { n: 1 },
  priority: 5,
  maxAttempts: null,
  timeoutMs: null,
  projectId: null,
  owner: 'acme',
  tier: 'free',
  enabled: true,
  overlap: 'allow',
  missed: 'skip',
  ...overrides,
});

export function scheduleConformance(name: string, factory: SharedStoresFactory): void {
  describe(`schedule conformance: ${name}`, () => {
    let h!: SharedStores;
    let store!: JobStore;
    beforeEach(async () => {
      h = await factory();
      store = h.stores[0];
    });
    afterEach(async () => {
      await h?.close();
    });

    /** Three servers' engines; a new set stands for a restart (a fresh service start). */
    const engines = () => h.stores.map((s) => new Engine({ store: s }));
    const passAll = (all: Engine[]) => Promise.all(all.map((e) => e.services.scheduler.runOnce()));
    const jobsOf = (queue = 'cron') => pageAll(store, { queue }, 100);

    describe('the schedule store', () => {
      it('creates once, reads back on every server, and refuses a second create', async () => {
        const created = await store.schedules.createSchedule(
          everySecond({ maxAttempts: 2, projectId: 'p1' }),
        );
        expect(created).toMatchObject({
          ...everySecond({ maxAttempts: 2, projectId: 'p1' }),
          lastTick: h.now(),
          createdAt: h.now(),
          lastJobId: null,
          lastRunAt: null,
        });
        expect(await h.stores[2].schedules.getSchedule('tick')).toEqual(created);
        expect(await h.stores[1].schedules.listSchedules()).toEqual([created]);
        await expectCode(store.schedules.createSchedule(everySecond()), 'JOBGATE_ERR_SCHEDULE_EXISTS');
        expect(await store.schedules.getSchedule('nope')).toBeNull();
      });

      it('upserts: a new one is created, an existing one gets the definition and keeps its state', async () => {
        await store.schedules.upsertSchedule(everySecond({ maxAttempts: 3 }));
        h.advance(5_000);
        await store.schedules.recordScheduleTick({
          name: 'tick',
          tick: h.now(),
          run: { jobId: 'j1', at: h.now() },
        });
        const replaced = await store.schedules.upsertSchedule(
          everySecond({ cron: '0 * * * *', payload: [1, 2] }),
        );
        expect(replaced).toMatchObject({
          cron: '0 * * * *',
          payload: [1, 2],
          maxAttempts: null,
          lastJobId: 'j1',
        });
        expect(replaced.lastTick).toBe(h.now());
      });

      it('patches fields, and a resumed schedule does not make up the ticks of its pause', async () => {
        await store.schedules.createSchedule(everySecond());
        const paused = await store.schedules.updateSchedule({
          name: 'tick',
          patch: { enabled: false, priority: 2 },
        });
        expect(paused).toMatchObject({ enabled: false, priority: 2, cron: '*/1 * * * * *' });
        h.advance(60_000);
        const resumed = await h.stores[1].schedules.updateSchedule({
          name: 'tick',
          patch: { enabled: true },
        });
        expect(resumed?.lastTick).toBe(h.now());
        expect(await store.schedules.updateSchedule({ name: 'nope', patch: { priority: 1 } })).toBeNull();
        const cleared = await store.schedules.updateSchedule({ name: 'tick', patch: { timeoutMs: 5 } });
        expect(cleared?.timeoutMs).toBe(5);
        expect(
          (await store.schedules.updateSchedule({ name: 'tick', patch: { timeoutMs: null } }))?.timeoutMs,
        ).toBeNull();
      });

      it('moves the state forward only', async () => {
        const start = (await store.schedules.createSchedule(everySecond())).lastTick;
        const at = start + 10_000;
        let r = await store.schedules.recordScheduleTick({ name: 'tick', tick: at, run: { jobId: 'b', at } });
        expect(r).toMatchObject({ lastTick: at, lastJobId: 'b', lastRunAt: at });
        r = await store.schedules.recordScheduleTick({
          name: 'tick',
          tick: at - 5_000,
          run: { jobId: 'a', at: at - 5_000 },
        });
        expect(r).toMatchObject({ lastTick: at, lastJobId: 'b', lastRunAt: at });
        r = await store.schedules.recordScheduleTick({
          name: 'tick',
          tick: null,
          run: { jobId: 'c', at: at + 1 },
        });
        expect(r).toMatchObject({ lastTick: at, lastJobId: 'c' });
        expect(await store.schedules.recordScheduleTick({ name: 'gone', tick: at, run: null })).toBeNull();
      });

      it('deletes', async () => {
        await store.schedules.createSchedule(everySecond());
        await store.schedules.createSchedule(everySecond({ name: 'other' }));
        expect(await h.stores[1].schedules.deleteSchedule('tick')).toBe(true);
        expect(await store.schedules.deleteSchedule('tick')).toBe(false);
        expect((await store.schedules.listSchedules()).map((s) => s.name)).toEqual(['other']);
      });
    });

    describe('the schedule service', () => {
      it('three engines racing for 20 ticks make exactly 20 jobs, one per tick', async () => {
        await store.schedules.createSchedule(everySecond());
        const servers = engines();
        await passAll(servers);
        for (let i = 0; i < 20; i++) {
          h.advance(1_000);
          await passAll(servers);
        }
        const jobs = await jobsOf();
        expect(jobs).toHaveLength(20);
        expect(new Set(jobs).size).toBe(20);
        const schedule = await store.schedules.getSchedule('tick');
        expect(schedule?.lastTick).toBe(h.now());
        expect(jobs).toContain(schedule?.lastJobId);
        const job = await store.get(schedule!.lastJobId!);
        expect(job).toMatchObject({ queue: 'cron', type: 'report', owner: 'acme', payload: { n: 1 } });
      });

      it('a pass that runs late fires every tick since the service started', async () => {
        await store.schedules.createSchedule(everySecond());
        const servers = engines();
        await passAll(servers);
        h.advance(7_000);
        await passAll(servers);
        expect(await jobsOf()).toHaveLength(7);
      });

      it('after every server was down, catch-up-one makes one job for all missed ticks', async () => {
        await store.schedules.createSchedule(everySecond({ missed: 'catch-up-one' }));
        await store.schedules.createSchedule(everySecond({ name: 'dropped', queue: 'cron2' }));
        const before = engines();
        await passAll(before);
        h.advance(3_000);
        await passAll(before);
        expect(await jobsOf()).toHaveLength(3);
        h.advance(10_500); // all servers stopped (ten ticks)
        const after = engines();
        await passAll(after);
        expect(await jobsOf()).toHaveLength(4); // one catch-up for ten missed ticks
        expect(await jobsOf('cron2')).toHaveLength(3); // skip: none
        h.advance(2_000);
        await passAll(after);
        expect(await jobsOf()).toHaveLength(6);
        expect(await jobsOf('cron2')).toHaveLength(5);
      });

      it('overlap skip passes ticks while the last run is still waiting or running', async () => {
        await store.schedules.createSchedule(everySecond({ overlap: 'skip' }));
        const servers = engines();
        await passAll(servers);
        h.advance(1_000);
        await passAll(servers);
        h.advance(3_000);
        await passAll(servers);
        expect(await jobsOf()).toHaveLength(1);
        const [claimed] = await store.claim({ queue: 'cron', workerId: 'w', limit: 1, leaseMs: 60_000 });
        await store.complete({ id: claimed!.id, token: claimed!.leaseToken, result: null });
        h.advance(1_000);
        await passAll(servers);
        expect(await jobsOf()).toHaveLength(2);
      });

      it('a paused schedule makes nothing, and resumed it starts from the resume', async () => {
        await store.schedules.createSchedule(everySecond());
        const servers = engines();
        await passAll(servers);
        await store.schedules.updateSchedule({ name: 'tick', patch: { enabled: false } });
        h.advance(5_000);
        await passAll(servers);
        expect(await jobsOf()).toHaveLength(0);
        await store.schedules.updateSchedule({ name: 'tick', patch: { enabled: true } });
        h.advance(2_000);
        await passAll(servers);
        expect(await jobsOf()).toHaveLength(2);
      });
    });
  });
}
