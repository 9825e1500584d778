import type { OwnerLimits } from '../store/store.js';
import type { TierConfig } from './config-schema.js';

/** A tier limit as the engine and store take it: null = unlimited (config: null or -1). */
export const limit = (value: number | null): number | null => (value === null || value < 0 ? null : value);

/** The per-key token bucket of a tier; null when either side is unlimited (no rate limit). */
export function tierRate(tier: TierConfig): { ratePerMinute: number; burst: number } | null {
  const ratePerMinute = limit(tier.ratePerMinute);
  const burst = limit(tier.burst);
  return ratePerMinute === null || burst === null ? null : { ratePerMinute, burst };
}

/** The store's view of a tier: unlimited (null or -1) becomes null. */
export function ownerLimits(tier: TierConfig): OwnerLimits {
  return {
    priorityBoost: tier.priorityBoost,
    maxConcurrentPerUser: limit(tier.maxConcurrentPerUser),
    maxConcurrentPerProject: limit(tier.maxConcurrentPerProject),
    limitScope: tier.limitScope ?? 'queue',
    dailyJobs: limit(tier.dailyJobs),
    iterationDepth: limit(tier.iterationDepth),
    iterationBatch: tier.iterationBatch,
  };
}
