--[[
  Drops an empty queue's settings (store/queue-registry.ts forgetQueue), in its shard.
  ARGV[2] queue, ARGV[3..] every job status. Returns 1 when the queue held no job in any
  status (its hash deleted), else 0. The caller then takes it off the queue registry.
]]
local queue = ARGV[2]
if num(redis.call('HGET', queueKey(queue), 'queued'), 0) > 0 then return 0 end
for k = 3, #ARGV do
  if ARGV[k] ~= 'queued' and redis.call('ZCARD', statusKey(queue, ARGV[k])) > 0 then return 0 end
end
if redis.call('ZCARD', finishedKey(queue)) > 0 then return 0 end
redis.call('DEL', queueKey(queue), readyKey(queue), queueGroupsKey(queue))
return 1
