--[[
  Expired leases → queued (or failed when attempts are spent, cancelled when asked).
  Safe to run from every server at once: each script is atomic. ARGV[2] limit.
]]
local t = now()
local ids = redis.call('ZRANGEBYSCORE', P .. ':leases', '-inf', '(' .. t, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local job = getJob(id)
  if job.cancel_requested == '1' then
    finish(job, 'cancelled', {}, t)
  elseif num(job.attempts, 0) >= tonumber(job.max_attempts) then
    finish(job, 'failed', { 'error', cjson.encode({ message = 'Lease expired: the worker stopped heartbeating', retryable = false }) }, t)
  else
    releaseLease(job)
    enqueue(job)
  end
  out[#out + 1] = jobReply(id)
end
return out
