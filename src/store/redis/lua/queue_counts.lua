--[[
  Status counts of some queues of one shard, in one call (the ZCARDs of their status
  sets; queued jobs are counted in the queue's hash, see queuedDelta). ARGV[2] the
  statuses, comma-separated, ARGV[3..] the queues.
  Returns, per queue in order, one count per status in order.
]]
local statuses = {}
for status in string.gmatch(ARGV[2], '[^,]+') do statuses[#statuses + 1] = status end
local out = {}
for k = 3, #ARGV do
  for _, status in ipairs(statuses) do
    if status == 'queued' then
      out[#out + 1] = num(redis.call('HGET', queueKey(ARGV[k]), 'queued'), 0)
    else
      out[#out + 1] = redis.call('ZCARD', statusKey(ARGV[k], status))
    end
  end
end
return out
