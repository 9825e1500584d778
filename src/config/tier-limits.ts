import type { OwnerLimits } from '../store/store.js';
import type { TierConfig } from './config-schema.js';

const limit = (value: number): number | null => (value < 0 ? null : value);

/** The store's view of a tier: -1 (unlimited) becomes null. */
export function ownerLimits(tier: TierConfig): OwnerLimits {
  return {
    priorityBoost: tier.priorityBoost,
    maxConcurrentPerUser: limit(tier.maxConcurrentPerUser),
    maxConcurrentPerProject: limit(tier.maxConcurrentPerProject),
    dailyJobs: limit(tier.dailyJobs),
    iterationDepth: limit(tier.iterationDepth),
    iterationBatch: tier.iterationBatch,
  };
}
