/**
 * Every tenant at a glance (admin): running, queued and scheduled jobs, today's usage
 * against its tier's daily quota, and the requests the rate limit refused today.
 *
 * Tenants are the owners of active API keys (tenant or admin role) plus the owners of
 * running jobs (a key may have been revoked while its jobs run). An owner with keys of
 * several tiers is listed with all of them; its quota is read under the newest key's
 * tier. Job counts page through the owner's jobs of each state and stop at
 * `countCap`: past it the count reads "at least" (`countsCapped`), so one tenant's
 * 100k backlog costs a bounded number of reads.
 */
import type { JobStatus } from '../domain/job-states.js';
import type { ApiKeyRecord } from '../store/store.js';
import type { Engine, Usage } from './engine.js';
import { type Principal, systemPrincipal } from './principal.js';
import type { RateLimitTally } from './rate-limit-tally.js';

export interface TenantSummary {
  owner: string;
  /** Tiers of the owner's active keys, newest key first; empty when it has none. */
  tiers: string[];
  activeKeys: number;
  /** Running jobs in all queues together (the tier's concurrency limits count per queue). */
  running: number;
  queued: number;
  scheduled: number;
  /** A count reached `countCap` and stopped there. */
  countsCapped: boolean;
  usage: Usage;
  /** The tier's daily job quota; null = unlimited. */
  dailyLimit: number | null;
  /** 429s of the per-key rate limit since the start of the quota day (this server's count). */
  rateLimitedToday: number;
}

export const countCapDefault = 5_000;
const pageSize = 500;

export async function tenantSummaries(
  engine: Engine,
  input: {
    keys: ApiKeyRecord[] | Array<Omit<ApiKeyRecord, 'hash'>>;
    tally: RateLimitTally;
    countCap?: number;
  },
): Promise<TenantSummary[]> {
  const cap = input.countCap ?? countCapDefault;
  const owners = new Map<string, { tiers: string[]; activeKeys: number }>();
  const active = input.keys
    .filter((key) => key.revokedAt === null && key.role !== 'worker')
    .sort((a, b) => b.createdAt - a.createdAt);
  for (const key of active) {
    const entry = owners.get(key.owner) ?? { tiers: [], activeKeys: 0 };
    entry.activeKeys++;
    if (!entry.tiers.includes(key.tier)) entry.tiers.push(key.tier);
    owners.set(key.owner, entry);
  }
  const running = await countByOwner(engine, 'running', cap);
  for (const owner of running.counts.keys())
    if (!owners.has(owner)) owners.set(owner, { tiers: [], activeKeys: 0 });

  const summaries = await Promise.all(
    [...owners.entries()].map(async ([owner, { tiers, activeKeys }]) => {
      const principal: Principal = { owner, role: 'tenant', tier: tiers[0] ?? 'default', keyId: null };
      const [usage, queued, scheduled] = await Promise.all([
        engine.usage(principal),
        countOwned(engine, owner, 'queued', cap),
        countOwned(engine, owner, 'scheduled', cap),
      ]);
      const dayStart = usage.dailyLimitResetsAt - 24 * 3600_000;
      return {
        owner,
        tiers,
        activeKeys,
        running: running.counts.get(owner) ?? 0,
        queued: queued.count,
        scheduled: scheduled.count,
        countsCapped: running.capped || queued.capped || scheduled.capped,
        usage,
        dailyLimit: usage.jobsRemaining === null ? null : usage.jobsUsed + usage.jobsRemaining,
        rateLimitedToday: input.tally.since(owner, dayStart),
      };
    }),
  );
  return summaries.sort((a, b) => a.owner.localeCompare(b.owner));
}

async function countOwned(engine: Engine, owner: string, status: JobStatus, cap: number) {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await engine.list({ owner, status, limit: pageSize, cursor }, systemPrincipal);
    count += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && count < cap);
  return { count: Math.min(count, cap), capped: cursor !== undefined };
}

/** Running jobs are bounded by worker capacity, so one sweep over all owners is cheap. */
async function countByOwner(engine: Engine, status: JobStatus, cap: number) {
  const counts = new Map<string, number>();
  let seen = 0;
  let cursor: string | undefined;
  do {
    const page = await engine.list({ status, limit: pageSize, cursor }, systemPrincipal);
    for (const job of page.items) counts.set(job.owner, (counts.get(job.owner) ?? 0) + 1);
    seen += page.items.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor && seen < cap);
  return { counts, capped: cursor !== undefined };
}
