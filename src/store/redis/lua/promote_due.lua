--[[
  Scheduled jobs whose run_at has come → queued. ARGV[2] limit. Returns the promoted jobs.
]]
local ids = redis.call('ZRANGEBYSCORE', P .. ':sched', '-inf', now(), 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  enqueue(getJob(id))
  out[#out + 1] = jobReply(id)
end
return out
