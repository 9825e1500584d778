--[[
  Cancel: waiting jobs at once; a running job is flagged and its worker told.
  ARGV[2] id, ARGV[3] owner ('' = any). Returns {'cancelled'|'requested', job} or {'error', code, status}
]]
local job = getJob(ARGV[2])
if not job or (ARGV[3] ~= '' and job.owner ~= ARGV[3]) then return { 'error', 'not_found', '' } end
if job.status == 'running' then
  redis.call('HSET', jobKey(job.id), 'cancel_requested', 1)
  return { 'requested', jobReply(job.id) }
end
if job.status == 'queued' or job.status == 'scheduled' or job.status == 'awaiting_confirmation' then
  finish(job, 'cancelled', {}, now())
  return { 'cancelled', jobReply(job.id) }
end
return { 'error', 'illegal', job.status }
