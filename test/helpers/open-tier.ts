/** A tier with no concurrency or daily limit (-1 = unlimited) and a generous rate, for HTTP tests. */
export const openTier = {
  priorityBoost: 0,
  maxConcurrentPerUser: -1,
  maxConcurrentPerProject: -1,
  dailyJobs: -1,
  iterationDepth: -1,
  iterationBatch: 1,
  ratePerMinute: 6000,
  burst: 1000,
};
