/**
 * Admission: one job in one transaction — idempotency, the queue cap, owner limits,
 * follow-up depth, the daily quota (deferring to the next day with room), then the
 * insert and its place in the ready set.
 */
import { effectivePriority } from '../../domain/fair-share.js';
import type { JobStatus } from '../../domain/job-states.js';
import { dayIndex, dayStart, quotaHorizonDays } from '../../domain/quota-calendar.js';
import type { AdmitRequest, AdmitResult } from '../store.js';
import { storeFailure } from '../store-errors.js';
import { toJob } from './job-row.js';
import type { JobTables } from './job-tables.js';

export function admitOne(
  tables: JobTables,
  { job, limits, calendar, idempotency }: AdmitRequest,
): AdmitResult {
  const now = tables.clock();
  if (idempotency) {
    const prior = tables.db
      .prepare<[string, string, number], { fingerprint: string; job_id: string }>(
        'SELECT fingerprint, job_id FROM idempotency WHERE owner = ? AND key = ? AND expires_at > ?',
      )
      .get(job.owner, idempotency.key, now);
    if (prior) {
      if (prior.fingerprint !== idempotency.fingerprint) throw storeFailure('idempotency_conflict');
      const original = tables.row(prior.job_id);
      if (original) return { kind: 'duplicate', job: toJob(original) };
    }
  }

  const queue = tables.queueRow(job.queue);
  if (queue.max_queued !== null && tables.waitingCount(job.queue) >= queue.max_queued) {
    throw storeFailure('queue_full', { queue: job.queue });
  }

  // The tier's limits apply per queue, kept on the (queue, owner) row the claim reads
  // anyway (see OwnerRow in job-tables.ts) — or, scoped to the tenant, on its
  // tenant_limits row, the per-queue row then limiting nothing.
  const tenantScope = limits.limitScope === 'tenant';
  tables.setTenantLimits(job.owner, tenantScope ? limits : null);
  tables.db
    .prepare(
      `INSERT INTO owners (queue, owner, max_running, max_per_project, boost)
         VALUES (@queue, @owner, @maxRunning, @maxPerProject, @boost)
         ON CONFLICT (queue, owner) DO UPDATE SET max_running = excluded.max_running,
           max_per_project = excluded.max_per_project, boost = excluded.boost`,
    )
    .run({
      queue: job.queue,
      owner: job.owner,
      maxRunning: tenantScope ? null : limits.maxConcurrentPerUser,
      maxPerProject: tenantScope ? null : limits.maxConcurrentPerProject,
      boost: limits.priorityBoost,
    });

  // Follow-up iterations: depth from the parent, allowance from the root's confirmed grants.
  let depth = 0;
  let rootId: string | null = null;
  let needsConfirmation = false;
  // The deepest depth this job's chain may reach unconfirmed: the tier's depth plus the
  // batches confirmed for the chain so far (kept on its root).
  let allowance = limits.iterationDepth;
  if (job.parentId !== null) {
    const parent = tables.row(job.parentId);
    if (!parent || parent.owner !== job.owner || parent.queue !== job.queue) {
      throw storeFailure('parent_not_found', { id: job.parentId, queue: job.queue });
    }
    depth = parent.depth + 1;
    rootId = parent.root_id ?? parent.id;
    const root = tables.row(rootId);
    if (allowance !== null) allowance += root?.granted_iterations ?? 0;
    needsConfirmation = allowance !== null && depth > allowance;
  }

  let runAt = job.runAt ?? (job.delayMs !== null ? now + job.delayMs : now);
  let deferredByQuota = false;
  const today = dayIndex(now, calendar.resetOffsetMs);
  let chargedDay = today;
  if (limits.dailyJobs !== null) {
    const runDay = Math.max(today, dayIndex(runAt, calendar.resetOffsetMs));
    chargedDay = firstDayWithQuota(tables, job.owner, runDay, limits.dailyJobs);
    if (chargedDay > runDay) {
      deferredByQuota = true;
      runAt = dayStart(chargedDay, calendar.resetOffsetMs) + calendar.jitterMs;
    }
  }
  tables.db
    .prepare(
      `INSERT INTO daily_usage (owner, day, jobs, iterations) VALUES (?, ?, 1, ?)
         ON CONFLICT (owner, day) DO UPDATE SET jobs = jobs + 1, iterations = iterations + excluded.iterations`,
    )
    .run(job.owner, chargedDay, depth > 0 ? 1 : 0);

  const status: JobStatus = needsConfirmation
    ? 'awaiting_confirmation'
    : runAt > now
      ? 'scheduled'
      : 'queued';
  const project = job.projectId ?? '';
  tables.db
    .prepare(
      `INSERT INTO jobs (id, queue, type, status, priority, eff_priority, payload, max_attempts, timeout_ms,
           owner, project, parent_id, root_id, depth, iteration_allowance, created_at, run_at)
         VALUES (@id, @queue, @type, @status, @priority, @eff, @payload, @maxAttempts, @timeoutMs,
           @owner, @project, @parentId, @rootId, @depth, @allowance, @now, @runAt)`,
    )
    .run({
      id: job.id,
      queue: job.queue,
      type: job.type,
      status,
      priority: job.priority,
      eff: effectivePriority(job.priority, limits.priorityBoost),
      payload: job.payload === undefined ? null : JSON.stringify(job.payload),
      maxAttempts: job.maxAttempts,
      timeoutMs: job.timeoutMs,
      owner: job.owner,
      project,
      parentId: job.parentId,
      rootId,
      depth,
      allowance,
      now,
      runAt,
    });
  tables.moved(job.queue, null, status);
  if (status === 'queued') tables.refileGroup(job.queue, job.owner, project);
  if (idempotency) {
    tables.db
      .prepare(
        `INSERT INTO idempotency (owner, key, fingerprint, job_id, expires_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (owner, key) DO UPDATE SET fingerprint = excluded.fingerprint, job_id = excluded.job_id,
             expires_at = excluded.expires_at`,
      )
      .run(job.owner, idempotency.key, idempotency.fingerprint, job.id, now + idempotency.ttlMs);
  }
  return { kind: 'created', job: tables.job(job.id), deferredByQuota };
}

function firstDayWithQuota(tables: JobTables, owner: string, fromDay: number, dailyJobs: number): number {
  const used = tables.db.prepare<[string, number], { jobs: number }>(
    'SELECT jobs FROM daily_usage WHERE owner = ? AND day = ?',
  );
  for (let day = fromDay; day <= fromDay + quotaHorizonDays; day++) {
    if ((used.get(owner, day)?.jobs ?? 0) < dailyJobs) return day;
  }
  throw storeFailure('quota_exhausted');
}
