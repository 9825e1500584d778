--[[
  Complete under a lease. ARGV[2] id, ARGV[3] token, ARGV[4] result JSON, ARGV[5] the worker
  holding it ('' = any). Returns the job, or {'error', code}.
]]
local job, err = holdsLease(ARGV[2], ARGV[3], ARGV[5])
if not job then return { 'error', err } end
finish(job, 'completed', { 'result', ARGV[4], 'pp', 100 }, now())
return { 'ok', flat(job) }
