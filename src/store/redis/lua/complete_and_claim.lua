--[[
  Complete under a lease, then lease the next jobs for the same worker, in one step.
  ARGV[2] id, ARGV[3] token, ARGV[4] result JSON, ARGV[5] queue, ARGV[6] workerId,
  ARGV[7] limit, ARGV[8] leaseMs, ARGV[9..] one fresh token per job
  Returns {'ok', job, next jobs} or {'error', code}.
]]
local job, err = holdsLease(ARGV[2], ARGV[3])
if not job then return { 'error', err } end
local t = now()
finish(job, 'completed', { 'result', ARGV[4], 'pp', 100 }, t)
local tokens = {}
for k = 9, #ARGV do tokens[#tokens + 1] = ARGV[k] end
return { 'ok', flat(job), claimJobs(ARGV[5], ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), tokens, t) }
