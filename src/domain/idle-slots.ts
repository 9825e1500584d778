import type { ClaimedJob } from './job.js';

/**
 * A worker's free slots, held for jobs leased on its behalf (a submit's admission claims
 * for an idle worker in its own step): `fill` hands the leases over, `release` gives the
 * slots back unused. Shared by the engine's worker directory and the worker runtime.
 */
export interface IdleSlots {
  workerId: string;
  count: number;
  fill(jobs: ClaimedJob[]): void;
  release(): void;
}
