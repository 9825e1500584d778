/**
 * Fair dispatch, as start-time fair queueing over groups of jobs.
 *
 * A group is the queued jobs of one (queue, owner, project). Inside a group the order
 * is strict: priority, then FIFO. Across groups, each group has a virtual start
 * `vstart`; its place in the ready set is
 *
 *   headKey = vstart + effectivePriority × agingTurns
 *
 * where effectivePriority = priority − the tier's boost. A claim pops the lowest
 * headKey, advances the queue's virtual clock to that group's vstart + 1 (its finish
 * tag, so the clock moves even when every group holds one job), and moves the group's
 * vstart one turn on. So groups of equal priority take turns (round robin),
 * a newcomer starts at the queue's current virtual time (no catching up on the
 * backlog of others), and a group one priority level lower waits at most
 * `agingTurns` turns of each other ready group: aging without rescoring.
 *
 * Virtual time advances per dispatch, not per wall-clock second, so fairness holds
 * whether a job takes 10 ms or 10 minutes.
 */
export interface FairnessSettings {
  /** Turns a group waits per priority level it is below another group. */
  agingTurns: number;
}

export const fairnessDefault: FairnessSettings = { agingTurns: 10 };

export function headKey(vstart: number, effectivePriority: number, settings: FairnessSettings): number {
  return vstart + effectivePriority * settings.agingTurns;
}

export function effectivePriority(priority: number, boost: number): number {
  return priority - boost;
}

/** The vstart of a group that (re)enters the ready set: never behind the queue's clock. */
export function enteringVstart(groupVstart: number | null, queueVtime: number): number {
  return groupVstart === null ? queueVtime : Math.max(groupVstart, queueVtime);
}
