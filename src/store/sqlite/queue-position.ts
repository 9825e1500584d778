/**
 * A queued job's place in the claim order, estimated from the fair-queueing keys
 * (domain/fair-share.ts): the job is dispatched on its group's k-th turn from now, at
 * key `vstart + k + level × agingTurns`; every other group is dispatched once per turn
 * until its head key passes that, so it puts min(its turns, its queued jobs) ahead.
 * Parked groups (owner or project at its limit) are not counted: they wait for a slot.
 * Cost: group sizes come from `group_queued` (kept by triggers, migration 0005); the jobs
 * ahead in its own group are counted from the nearer end — directly, or as the group's
 * size minus the jobs behind — so a fresh job at the back of a long backlog costs a few
 * index probes, not a scan of the backlog. Only a job deep in the middle of a big group
 * pays a range count. Then O(groups ahead), capped by `scanCap`.
 */
import type Database from 'better-sqlite3';
import { type FairnessSettings, headKey } from '../../domain/fair-share.js';

const scanCap = 100_000;
/** Rows one side's count may read before the other side is tried. */
const sideCap = 64;

type GroupJob = { queue: string; owner: string; project: string; eff_priority: number; seq: number };

/**
 * Jobs of the group that claim before (`ahead`) or after (`behind`) `job`, counted up to
 * `limit`: a better (worse) priority, or the same and older (newer). Two index ranges;
 * an OR of them would scan the whole group.
 */
function countSide(db: Database.Database, job: GroupJob, side: 'ahead' | 'behind', limit: number): number {
  // Fixed operators per side, never input: the SQL text stays one of two cached statements.
  const op = side === 'ahead' ? '<' : '>';
  const range = (condition: string) =>
    `(SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE queue = @queue AND owner = @owner AND project = @project
       AND status = 'queued' AND ${condition} LIMIT @limit))`;
  return (
    db
      .prepare<[GroupJob & { limit: number }], { n: number }>(
        `SELECT ${range(`eff_priority ${op} @eff_priority`)}
              + ${range(`eff_priority = @eff_priority AND seq ${op} @seq`)} AS n`,
      )
      .get({ ...job, limit })?.n ?? 0
  );
}

export function queuePosition(db: Database.Database, id: string, fairness: FairnessSettings): number | null {
  const job = db
    .prepare<
      [string],
      { seq: number; queue: string; owner: string; project: string; status: string; eff_priority: number }
    >('SELECT seq, queue, owner, project, status, eff_priority FROM jobs WHERE id = ?')
    .get(id);
  if (job?.status !== 'queued') return null;
  const group = db
    .prepare<[string, string, string], { gid: number; vstart: number; n: number }>(
      `SELECT g.gid, g.vstart, q.n FROM job_groups g JOIN group_queued q USING (queue, owner, project)
       WHERE g.queue = ? AND g.owner = ? AND g.project = ?`,
    )
    .get(job.queue, job.owner, job.project);
  // A submit asks for the job it just added, usually at the back: try that end first.
  const behind = group ? countSide(db, job, 'behind', sideCap) : sideCap;
  let ownAhead: number;
  if (group && behind < sideCap) ownAhead = group.n - 1 - behind;
  else {
    ownAhead = countSide(db, job, 'ahead', sideCap);
    if (ownAhead >= sideCap) ownAhead = countSide(db, job, 'ahead', Number.MAX_SAFE_INTEGER);
  }
  if (!group) return ownAhead + 1;
  const myKey = headKey(group.vstart + ownAhead, job.eff_priority, fairness);
  const others = db
    .prepare<[string, number, number], { gid: number; head_key: number; n: number }>(
      `SELECT g.gid, g.head_key, q.n FROM job_groups g JOIN group_queued q USING (queue, owner, project)
       WHERE g.queue = ? AND g.ready = 1 AND g.gid != ? AND g.head_key <= ? ORDER BY g.head_key`,
    )
    .all(job.queue, group.gid, myKey);
  let ahead = ownAhead;
  for (const other of others) {
    if (ahead >= scanCap) break;
    // Equal keys go to the older group (lower gid), as in claim.
    const turns = Math.floor(myKey - other.head_key) + (other.gid < group.gid ? 1 : 0);
    if (turns > 0) ahead += Math.min(turns, other.n);
  }
  return ahead + 1;
}
