/**
 * The chaos checker: from the jobs the API accepted, the jobs as they ended, the
 * handlers' execution log (chaos-handlers.mjs) and the faults the harness injected, it
 * counts what a job queue must never do and how fast it recovers:
 * - lost: accepted (202) but not completed once everything settled;
 * - duplicated: ran to its end more than once; "unexcused" when no fault touched the
 *   earlier run (its process killed or stopped, its server or the store down while it ran
 *   or until its lease ran out) — at-least-once allows the excused ones, never the others;
 * - overlapping: two runs of one job at the same time (unexcused as above);
 * - stale writes: the stored result came from a run that was not the job's latest claim
 *   (its attempt ≠ the job's attempts) — fencing must refuse those;
 * - reclaim: from a fault that stopped a run to the next run of that job starting.
 */
import { readFileSync } from 'node:fs';

export interface LogEntry {
  e: 'start' | 'end' | 'abort';
  job: string;
  attempt: number;
  pid: number;
  at: number;
  token?: string | null;
  claimedAt?: number | null;
  expires?: number | null;
}

/** A fault the harness injected: a process (worker, server, store) killed or stopped from `at` to `until`. */
export interface Fault {
  kind: 'kill' | 'stop';
  target: 'worker' | 'server' | 'store';
  pid: number;
  at: number;
  /** When it came back (a stopped process continued, a store restarted); kills of workers: never. */
  until: number | null;
  /**
   * Where reclaim time counts from: the fault (a reaper elsewhere is alive) or its end
   * (nothing can reap until the store or the only server is back).
   */
  reclaimFrom: 'at' | 'until';
}

export interface FinalJob {
  id: string;
  status: string;
  attempts: number;
  result: unknown;
}

export interface ChaosFigures {
  jobs: number;
  lost: number;
  duplicated: number;
  /** Duplicates whose earlier run began only after its lease had run out (a stalled holder, no fault). */
  duplicatedStalled: number;
  duplicatedUnexcused: number;
  overlapping: number;
  overlappingUnexcused: number;
  staleWrites: number;
  reclaims: number;
  reclaimP99Ms: number | null;
  reclaimMaxMs: number | null;
  examples: string[];
}

export function readLog(file: string): LogEntry[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogEntry);
}

interface Run {
  job: string;
  attempt: number;
  pid: number;
  start: number;
  end: number | null;
  claimedAt: number | null;
  expires: number | null;
}

const describeRun = (run: Run) =>
  `pid ${run.pid} attempt ${run.attempt} claimed ${run.claimedAt} start ${run.start} end ${run.end} lease to ${run.expires}`;

function runsOf(entries: LogEntry[]): Map<string, Run[]> {
  const runs = new Map<string, Run[]>();
  const open = new Map<string, Run>();
  for (const entry of [...entries].sort((a, b) => a.at - b.at)) {
    const key = `${entry.job}/${entry.attempt}/${entry.pid}`;
    if (entry.e === 'start') {
      const run: Run = {
        job: entry.job,
        attempt: entry.attempt,
        pid: entry.pid,
        start: entry.at,
        end: null,
        claimedAt: entry.claimedAt ?? null,
        expires: entry.expires ?? null,
      };
      open.set(key, run);
      const list = runs.get(entry.job) ?? [];
      list.push(run);
      runs.set(entry.job, list);
    } else if (entry.e === 'end') {
      const run = open.get(key);
      if (run) run.end = entry.at;
    }
  }
  return runs;
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export function checkChaos(input: {
  accepted: string[];
  final: FinalJob[];
  log: LogEntry[];
  faults: Fault[];
  /** How long after a run's end a fault still explains a second run: lease + sweep + slack. */
  graceMs: number;
}): ChaosFigures {
  const { accepted, final, faults, graceMs } = input;
  const byId = new Map(final.map((job) => [job.id, job]));
  const runs = runsOf(input.log);
  const examples: string[] = [];
  const note = (text: string) => {
    if (examples.length < 10) examples.push(text);
  };

  // A fault explains trouble with a run when it hit the run's process, or hit shared parts
  // (a server, the store) between the run's start and its end plus the grace.
  // The window opens a grace before the handler started: a process stopped or killed while it
  // held the lease but before its handler ran counts too.
  const excused = (run: Run) => {
    const until = (run.end ?? Number.POSITIVE_INFINITY) + graceMs;
    return faults.some((fault) => {
      const faultEnd = fault.until ?? Number.POSITIVE_INFINITY;
      const overlaps = fault.at <= until && faultEnd >= run.start - graceMs;
      return overlaps && (fault.pid === run.pid || fault.target !== 'worker');
    });
  };

  let lost = 0;
  let staleWrites = 0;
  for (const id of accepted) {
    const job = byId.get(id);
    if (job?.status !== 'completed') {
      lost++;
      note(`lost ${id}: ${job ? job.status : 'missing'}`);
      continue;
    }
    const result = job.result as { attempt?: number } | null;
    if (result?.attempt !== job.attempts) {
      staleWrites++;
      note(`stale write on ${id}: result of attempt ${result?.attempt}, job at attempt ${job.attempts}`);
    }
  }

  let duplicated = 0;
  let duplicatedStalled = 0;
  let duplicatedUnexcused = 0;
  // A holder that stalled (its handler began after the lease it was given ran out) lost the
  // lease with no fault injected: at-least-once re-runs the job; counted apart.
  const stalled = (run: Run) => run.expires !== null && run.start > run.expires;
  let overlapping = 0;
  let overlappingUnexcused = 0;
  const reclaims: number[] = [];
  for (const [id, list] of runs) {
    const finished = list.filter((run) => run.end !== null);
    if (finished.length > 1) {
      duplicated++;
      // Every run beyond the first must be explained by a fault on one of the runs (or a stall).
      const explained = finished.filter(excused).length;
      if (
        explained < finished.length - 1 &&
        explained + finished.filter(stalled).length >= finished.length - 1
      ) {
        duplicatedStalled++;
        note(`stalled holder re-run ${id}: ${finished.map(describeRun).join(', ')}`);
      } else if (explained < finished.length - 1) {
        duplicatedUnexcused++;
        note(`unexcused duplicate of ${id}: ${finished.map(describeRun).join(', ')}`);
      }
    }
    for (let i = 1; i < list.length; i++) {
      const previous = list[i - 1]!;
      const next = list[i]!;
      if (previous.end !== null && previous.end > next.start) {
        overlapping++;
        if (!excused(previous) && !stalled(previous)) {
          overlappingUnexcused++;
          note(
            `unexcused overlap on ${id}: ${previous.pid}#${previous.attempt} and ${next.pid}#${next.attempt}`,
          );
        }
      }
      // Reclaim: from the fault that took the earlier holder (or from its end, see Fault) to this run's start.
      if (previous.end === null || previous.end > next.start) {
        const fault = faults
          .filter(
            (f) =>
              f.at >= previous.start &&
              f.at <= next.start &&
              (f.pid === previous.pid || f.target !== 'worker'),
          )
          .sort((a, b) => a.at - b.at)[0];
        if (fault)
          reclaims.push(next.start - (fault.reclaimFrom === 'until' ? (fault.until ?? fault.at) : fault.at));
      }
    }
  }

  return {
    jobs: accepted.length,
    lost,
    duplicated,
    duplicatedStalled,
    duplicatedUnexcused,
    overlapping,
    overlappingUnexcused,
    staleWrites,
    reclaims: reclaims.length,
    reclaimP99Ms: percentile(reclaims, 99),
    reclaimMaxMs: reclaims.length ? Math.max(...reclaims) : null,
    examples,
  };
}
