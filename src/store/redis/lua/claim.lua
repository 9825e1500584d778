--[[
  Lease up to `limit` jobs of a queue in fair order (see domain/fair-share.ts).
  ARGV[2] queue, ARGV[3] workerId, ARGV[4] limit, ARGV[5] leaseMs, ARGV[6..] one fresh token per job
  Returns a list of jobs (flat HGETALL lists), each with its lease_token.
]]
return claimJobs(ARGV[2], ARGV[3], ARGV[4] + 0, ARGV[5] + 0, ARGV, now(), 5)
