--[[
  Retry a failed or cancelled job with a fresh attempt budget.
  ARGV[2] id, ARGV[3] owner ('' = any). Returns the job or {'error', code, status}
]]
local job = getJob(ARGV[2])
if not job or (ARGV[3] ~= '' and job.owner ~= ARGV[3]) then return { 'error', 'not_found', '' } end
if job.status ~= 'failed' and job.status ~= 'cancelled' then return { 'error', 'illegal', job.status } end
redis.call('HSET', jobKey(job.id), 'run_at', now())
redis.call('HDEL', jobKey(job.id), 'attempts', 'cancel_requested', 'pp', 'finished_at', 'started_at', 'result', 'ps', 'pm')
enqueue(job)
return { 'ok', jobReply(job.id) }
