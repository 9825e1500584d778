--[[
  Complete under a lease, then lease the next jobs for the same worker, in one step.
  ARGV[2] id, ARGV[3] token, ARGV[4] result JSON, ARGV[5] queue, ARGV[6] workerId,
  ARGV[7] limit, ARGV[8] leaseMs, ARGV[9] brief 0|1, ARGV[10..12] when brief the job's
  queue, owner and project as claimed ('' otherwise), ARGV[13..] one fresh token per job
  Returns {'ok', job, next jobs} or {'error', code}. Brief (the caller holds the job
  as claimed): the job is only what its run may have changed since the claim, besides
  what the completion wrote, as flat pairs: finished_at, and ps, pm, cancel_requested
  when set.
]]
local brief = ARGV[9] == '1'
local job, err
if brief then
  job, err = holdsLeaseBrief(ARGV[2], ARGV[3], ARGV[10], ARGV[11], ARGV[12])
else
  job, err = holdsLease(ARGV[2], ARGV[3])
end
if not job then return { 'error', err } end
local t = now()
local tS = timeS(t)
-- The freed slot's count change goes out with the claim's own write of the queue's counters,
-- and the owner's row (changed by both halves) is written once.
heldRunning = {}
if brief then
  -- A running job under its lease: its slot freed, its hash and indexes written as
  -- complete_many_and_claim writes them, without finish's general case.
  markCompleted(job, ARGV[4], tS)
  fileCompleted(job.queue, job.id, job.ord, tS)
else
  finish(job, 'completed', { 'result', ARGV[4], 'pp', '100' }, t)
end
local next = claimJobs(ARGV[5], ARGV[6], ARGV[7] + 0, ARGV[8] + 0, ARGV, t, 12)
flushHeld()
if brief then
  local changed = job.changed
  changed[#changed + 1] = 'finished_at'
  changed[#changed + 1] = tS
  return { 'ok', changed, next }
end
return { 'ok', flat(job), next }
