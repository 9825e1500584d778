import { describe, expect, it } from 'vitest';
import { cronProblem, nextTicks, planTicks } from '../../src/domain/schedule-ticks.js';

const iso = (ms: number[]) => ms.map((t) => new Date(t).toISOString());
const at = (s: string) => Date.parse(s);

describe('cron ticks', () => {
  it('takes 5 or 6 fields and an IANA zone, and names what is wrong otherwise', () => {
    expect(cronProblem('*/5 * * * *', 'UTC')).toBeNull();
    expect(cronProblem('*/1 * * * * *', 'Europe/Berlin')).toBeNull();
    expect(cronProblem('0 0 0 1 1 * 2030', 'UTC')?.field).toBe('cron');
    expect(cronProblem('* * *', 'UTC')?.field).toBe('cron');
    expect(cronProblem('61 * * * *', 'UTC')?.field).toBe('cron');
    expect(cronProblem('0 0 30 2 *', 'UTC')).toEqual({ field: 'cron', message: 'never fires' });
    expect(cronProblem('* * * * *', 'Mars/Olympus')?.field).toBe('timezone');
  });

  it('in Europe/Berlin, a daily 02:30 across spring-forward fires at 03:00 CEST that day', () => {
    expect(iso(nextTicks('30 2 * * *', 'Europe/Berlin', at('2027-03-27T00:00:00Z'), 3))).toEqual([
      '2027-03-27T01:30:00.000Z', // 02:30 CET
      '2027-03-28T01:00:00.000Z', // 02:30 does not exist: 03:00 CEST
      '2027-03-29T00:30:00.000Z', // 02:30 CEST
    ]);
    // The hourly pattern skips the hour that does not exist.
    expect(iso(nextTicks('0 * * * *', 'Europe/Berlin', at('2027-03-28T00:30:00Z'), 2))).toEqual([
      '2027-03-28T01:00:00.000Z', // 03:00 CEST (02:00 never happens)
      '2027-03-28T02:00:00.000Z',
    ]);
  });

  it('in Europe/Berlin, a daily 02:30 across fall-back fires once; a stepped hour fires in both', () => {
    expect(iso(nextTicks('30 2 * * *', 'Europe/Berlin', at('2027-10-30T00:00:00Z'), 3))).toEqual([
      '2027-10-30T00:30:00.000Z', // 02:30 CEST
      '2027-10-31T00:30:00.000Z', // the first 02:30 (CEST), not the second (CET)
      '2027-11-01T01:30:00.000Z', // 02:30 CET
    ]);
    expect(iso(nextTicks('30 * * * *', 'Europe/Berlin', at('2027-10-31T00:00:00Z'), 2))).toEqual([
      '2027-10-31T00:30:00.000Z', // 02:30 CEST
      '2027-10-31T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('plans missed ticks as one catch-up (or none) and every on-time tick since the start', () => {
    const base = { cron: '*/1 * * * * *', timezone: 'UTC', limit: 100 };
    const t0 = at('2027-01-01T00:00:00Z');
    const down = { ...base, lastTick: t0, startedAt: t0 + 10_500, now: t0 + 12_200 };
    expect(planTicks({ ...down, missed: 'catch-up-one' })).toEqual({
      catchUp: t0 + 10_000,
      missedUntil: t0 + 10_000,
      onTime: [t0 + 11_000, t0 + 12_000],
    });
    expect(planTicks({ ...down, missed: 'skip' })).toMatchObject({ catchUp: null, missedUntil: t0 + 10_000 });
    const running = {
      ...base,
      lastTick: t0 + 3_000,
      startedAt: t0,
      now: t0 + 5_000,
      missed: 'skip' as const,
    };
    expect(planTicks(running)).toEqual({
      catchUp: null,
      missedUntil: null,
      onTime: [t0 + 4_000, t0 + 5_000],
    });
    expect(planTicks({ ...running, limit: 1 }).onTime).toEqual([t0 + 4_000]);
  });
});
