--[[
  Expired leases → queued (or failed when attempts are spent, cancelled when asked).
  Safe to run from every server at once: each script is atomic.
  ARGV[2] limit, ARGV[3..] the queues of this shard.
]]
local t = now()
local left = tonumber(ARGV[2])
local out = {}
for q = 3, #ARGV do
  if left <= 0 then break end
  -- Scored by the negated expiry (see setStatus): expired = above -now.
  local ids = redis.call('ZRANGEBYSCORE', statusKey(ARGV[q], 'running'), '(' .. I(-t), '+inf', 'LIMIT', '0', I(left))
  for _, id in ipairs(ids) do
    local job = getJob(id)
    if job.cancel_requested == '1' then
      finish(job, 'cancelled', {}, t)
    elseif num(job.attempts, 0) >= maxAttempts(job) then
      attemptEnd = 'lease_lost'
      finish(job, 'failed', { 'error', cjson.encode({ message = 'Lease expired: the worker stopped heartbeating', retryable = false }) }, t)
      attemptEnd = nil
    else
      releaseLease(job, 'lease_lost')
      enqueue(job)
    end
    out[#out + 1] = jobReply(id)
    left = left - 1
  end
end
return out
