--[[
  Retention for one queue: delete completed jobs finished before ARGV[3], failed/cancelled
  before ARGV[4]; at most ARGV[5]. ARGV[2] queue. Returns the count.
]]
local queue = ARGV[2]
local completedBefore, failedBefore, limit = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local removed = 0
local ids = redis.call('ZRANGEBYSCORE', finishedKey(queue), '-inf', '(' .. math.max(completedBefore, failedBefore), 'LIMIT', 0, limit * 4)
for _, id in ipairs(ids) do
  if removed >= limit then break end
  local job = getJob(id)
  local at = tonumber(job.finished_at)
  if (job.status == 'completed' and at < completedBefore) or (job.status ~= 'completed' and at < failedBefore) then
    removeJob(job)
    removed = removed + 1
  end
end
return removed
