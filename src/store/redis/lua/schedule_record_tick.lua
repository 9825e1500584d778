--[[
  Moves a schedule's state forward (store/schedule-store.ts recordScheduleTick). KEYS[1]
  the schedules slot "<prefix>:{s}". ARGV[2] name; ARGV[3] tick (ms) or "": lastTick =
  max(lastTick, tick); ARGV[4] job id or "", ARGV[5] its run time (ms): lastJobId and
  lastRunAt unless a later run is recorded. Returns the schedule's fields (HGETALL), or
  false when there is no such schedule.
]]
local key = P .. ':sch:' .. ARGV[2]
if redis.call('EXISTS', key) == 0 then return false end
local tick = ARGV[3]
if tick ~= '' then
  local last = redis.call('HGET', key, 'lastTick')
  if not last or last + 0 < tick + 0 then redis.call('HSET', key, 'lastTick', tick) end
end
local jobId, at = ARGV[4], ARGV[5]
if jobId ~= '' then
  local lastRun = redis.call('HGET', key, 'lastRunAt')
  if not lastRun or lastRun + 0 <= at + 0 then redis.call('HSET', key, 'lastJobId', jobId, 'lastRunAt', at) end
end
return redis.call('HGETALL', key)
