--[[
  Promote a scheduled job: it is queued now instead of at its run time (a delay, a retry
  backoff, a quota deferral). ARGV[2] id, ARGV[3] owner ('' = any).
  Returns {'ok', job} or {'error', code, status}.
]]
local job = getJob(ARGV[2])
if not job or (ARGV[3] ~= '' and job.owner ~= ARGV[3]) then return { 'error', 'not_found', '' } end
if job.status ~= 'scheduled' then return { 'error', 'illegal', job.status } end
redis.call('HSET', jobKey(job.id), 'run_at', I(now()))
enqueue(job)
return { 'ok', jobReply(job.id) }
