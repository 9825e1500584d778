--[[
  Queue settings. ARGV[2] queue, ARGV[3] maxWorkers ('' = none), ARGV[4] maxQueued ('' = none),
  ARGV[5] paused ('' = leave as is, else 0|1)
]]
local key = queueKey(ARGV[2])
if ARGV[5] ~= '' then
  redis.call('HSET', key, 'paused', ARGV[5])
  return 1
end
if ARGV[3] ~= '' then redis.call('HSET', key, 'max_workers', ARGV[3]) else redis.call('HDEL', key, 'max_workers') end
if ARGV[4] ~= '' then redis.call('HSET', key, 'max_queued', ARGV[4]) else redis.call('HDEL', key, 'max_queued') end
return 1
