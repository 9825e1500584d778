--[[
  Retention: delete completed jobs finished before ARGV[2], failed/cancelled before ARGV[3];
  at most ARGV[4] in all. Returns the count.
]]
local completedBefore, failedBefore, limit = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local removed = 0
for _, queue in ipairs(redis.call('SMEMBERS', P .. ':queues')) do
  if removed >= limit then break end
  local ids = redis.call('ZRANGEBYSCORE', P .. ':fin:' .. queue, '-inf', '(' .. math.max(completedBefore, failedBefore), 'LIMIT', 0, limit * 4)
  for _, id in ipairs(ids) do
    if removed >= limit then break end
    local job = getJob(id)
    local at = tonumber(job.finished_at)
    if (job.status == 'completed' and at < completedBefore) or (job.status ~= 'completed' and at < failedBefore) then
      removeJob(job)
      removed = removed + 1
    end
  end
end
return removed
