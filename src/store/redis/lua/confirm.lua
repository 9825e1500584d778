--[[
  Release a follow-up awaiting confirmation and grant its chain more iterations.
  ARGV[2] id, ARGV[3] owner ('' = any), ARGV[4] grant. Returns the job or {'error', code, status}
]]
local job = getJob(ARGV[2])
if not job or (ARGV[3] ~= '' and job.owner ~= ARGV[3]) then return { 'error', 'not_found', '' } end
if job.status ~= 'awaiting_confirmation' then return { 'error', 'illegal', job.status } end
local depth = num(job.depth, 0)
-- Grant enough for this job's depth even when several batches were skipped.
local needed = math.max(tonumber(ARGV[4]), depth - num(job.allowance, depth))
redis.call('HINCRBY', jobKey(job.root_id or job.id), 'granted', needed)
if job.allowance then redis.call('HINCRBY', jobKey(job.id), 'allowance', needed) end
enqueue(job)
return { 'ok', jobReply(job.id) }
