/**
 * Gathers what the wait formula (domain/wait-estimate.ts) needs, for a queued job or
 * for a job submitted to a queue now — the one path by which every caller (submit, job
 * view, queue status, the dashboard and the CLI through them) gets an estimate.
 *
 * Reads: worker slots from the engine's directory (in memory); the queue's paused flag
 * and maxWorkers from the store, kept `settingsTtlMs` (a pause made on this server is
 * seen at once, one made on another within that time); the owner's and project's
 * running and queued jobs in the queue, only when the owner's tier limits them (two
 * bounded list reads, more pages only when the owner is at its limit with a backlog;
 * a tenant-scoped limit counts the owner's running jobs in every queue).
 */
import type { Job } from '../domain/job.js';
import { estimateWait, type LimitLoad, type WaitEstimate } from '../domain/wait-estimate.js';
import type { JobStore, OwnerLimits, QueueState } from '../store/store.js';
import type { WaitEstimator } from './wait-estimator.js';
import type { WorkerDirectory } from './worker-directory.js';

export const settingsTtlMs = 1_000;
/** Queued jobs of one owner read to count those ahead of a job; beyond it the count stops. */
export const aheadScanMax = 2_000;
const pageSize = 500;

export interface WaitSources {
  store: JobStore;
  estimator: WaitEstimator;
  workers(): WorkerDirectory;
  /** The engine's per-queue slot cap (config), applied over the live slots. */
  capacityOf(queue: string): number;
}

export class WaitInputsReader {
  private readonly sources: WaitSources;
  private readonly settings = new Map<string, { at: number; state: Promise<QueueState> }>();

  constructor(sources: WaitSources) {
    this.sources = sources;
  }

  /** Forget a queue's cached settings (this server paused, resumed or reconfigured it). */
  forget(queue: string): void {
    this.settings.delete(queue);
  }

  /**
   * The wait of a job at `position` of `queue` (`running` jobs running there), or of
   * `job` under its owner's `limits` when given.
   */
  async estimate(request: {
    queue: string;
    type: string;
    position: number;
    running: number;
    job?: Job;
    limits?: OwnerLimits | null;
    paused?: boolean;
    maxWorkers?: number | null;
  }): Promise<WaitEstimate> {
    const { store, estimator } = this.sources;
    const { queue } = request;
    const [state, limits] = await Promise.all([
      request.paused === undefined ? this.state(queue) : null,
      request.job && request.limits ? limitLoads(store, request.job, request.limits) : [],
    ]);
    const paused = request.paused ?? state?.paused ?? false;
    const maxWorkers = request.maxWorkers !== undefined ? request.maxWorkers : (state?.maxWorkers ?? null);
    const directory = this.sources.workers();
    const counts = directory.states(queue);
    const live = counts.ready + counts.idle + counts.running;
    const cap = Math.min(maxWorkers ?? Number.POSITIVE_INFINITY, this.sources.capacityOf(queue));
    const cold = live === 0 ? (directory.coldStart?.(queue) ?? null) : null;
    const mean = estimator.meanRunMs(queue, request.type);
    return estimateWait({
      position: request.position,
      meanRunMs: mean.value,
      runSamples: mean.samples,
      paused,
      slots: Math.min(live, cap),
      running: request.running,
      cold: cold ? { ...cold, slots: Math.min(cold.slots, maxWorkers ?? cold.slots) } : null,
      limits,
    });
  }

  private state(queue: string): Promise<QueueState> {
    const now = Date.now();
    const cached = this.settings.get(queue);
    if (cached && now - cached.at < settingsTtlMs) return cached.state;
    const state = this.sources.store.queueState(queue);
    this.settings.set(queue, { at: now, state });
    state.catch(() => this.settings.delete(queue));
    return state;
  }
}

/** The owner's (and the job's project's) load against the tier's limits in the job's queue. */
async function limitLoads(store: JobStore, job: Job, limits: OwnerLimits): Promise<LimitLoad[]> {
  const owner = limits.maxConcurrentPerUser;
  const project = job.projectId === null ? null : limits.maxConcurrentPerProject;
  if (owner === null && project === null) return [];
  const widest = Math.max(owner ?? 0, project ?? 0);
  const filter = { queue: job.queue, owner: job.owner };
  // Limits spanning queues (limitScope "tenant") count the owner's running jobs everywhere;
  // the jobs ahead are still counted in this queue only.
  const runningFilter = limits.limitScope === 'tenant' ? { owner: job.owner } : filter;
  // A first page just past the limit: an owner with fewer queued jobs than free slots needs no more.
  const [running, first] = await Promise.all([
    store.list({ ...runningFilter, status: 'running', limit: project === null ? widest : pageSize }),
    store.list({ ...filter, status: 'queued', limit: widest + 1 }),
  ]);
  const sameProject = (other: Job) => other.projectId === job.projectId;
  let page = first;
  let ownerAhead = 0;
  let projectAhead = 0;
  let read = 0;
  let seen = false;
  for (;;) {
    // Newest first: past the job itself every job is older; before it, only an older createdAt counts.
    for (const other of page.items) {
      if (other.id === job.id) {
        seen = true;
        continue;
      }
      if (!seen && other.createdAt >= job.createdAt) continue;
      ownerAhead += 1;
      if (sameProject(other)) projectAhead += 1;
    }
    read += page.items.length;
    if (!page.nextCursor || read >= aheadScanMax) break;
    page = await store.list({ ...filter, status: 'queued', limit: pageSize, cursor: page.nextCursor });
  }
  const loads: LimitLoad[] = [];
  if (owner !== null) loads.push({ limit: owner, running: running.items.length, ahead: ownerAhead });
  if (project !== null)
    loads.push({ limit: project, running: running.items.filter(sameProject).length, ahead: projectAhead });
  return loads;
}
