--[[
  Complete several jobs of one queue under their leases, then lease the next jobs for the
  same worker, in one step: the completions one worker made in one tick while an earlier
  call was on the wire (see RedisStore.completeAndClaim). Each completion is checked and
  answered on its own; the indexes the finished jobs leave and enter are written once for
  all of them (one ZREM and two ZADDs instead of three calls per job).
  ARGV[2] queue, ARGV[3] workerId, ARGV[4] leaseMs, ARGV[5] n, then per completion
  (brief: the caller holds each job as claimed) id, token, result JSON, how many jobs to
  lease for it, the job's queue, owner and project as claimed; then one fresh token per
  job that may be leased.
  Returns {replies, next}: per completion {'ok', changed} (ps, pm, cancel_requested when
  set, then finished_at) or {'error', code}; next as claim.lua returns it, for the
  completions that succeeded, in their order (a refused one frees no slot).
]]
local queue, workerId, leaseMs, n = ARGV[2], ARGV[3], ARGV[4] + 0, ARGV[5] + 0
local PER = 7
local t = now()
local tS = timeS(t)
heldRunning = {}
local replies, left, completed, finished = {}, {}, {}, {}
local limit = 0
for c = 0, n - 1 do
  local a = 6 + c * PER
  local id = ARGV[a]
  local job, err = holdsLeaseBrief(id, ARGV[a + 1], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6])
  if not job then
    replies[#replies + 1] = { 'error', err }
  else
    local changed = job.changed
    changed[#changed + 1] = 'finished_at'
    changed[#changed + 1] = tS
    if job.queue == queue then
      markCompleted(job, ARGV[a + 2], tS)
      left[#left + 1] = id
      completed[#completed + 1] = job.ord
      completed[#completed + 1] = id
      finished[#finished + 1] = tS
      finished[#finished + 1] = id
    else
      finish(job, 'completed', { 'result', ARGV[a + 2], 'pp', '100' }, t)
    end
    replies[#replies + 1] = { 'ok', changed }
    limit = limit + ARGV[a + 3]
  end
end
if #left > 0 then fileCompleted(queue, left, completed, finished) end
local next = claimJobs(queue, workerId, limit, leaseMs, ARGV, t, 5 + n * PER)
flushHeld()
return { replies, next }
