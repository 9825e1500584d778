--[[
  Status counts of some queues of one shard, in one call (the ZCARDs of their status
  sets). ARGV[2] the statuses, comma-separated, ARGV[3..] the queues.
  Returns, per queue in order, one count per status in order.
]]
local statuses = {}
for status in string.gmatch(ARGV[2], '[^,]+') do statuses[#statuses + 1] = status end
local out = {}
for k = 3, #ARGV do
  for _, status in ipairs(statuses) do out[#out + 1] = redis.call('ZCARD', statusKey(ARGV[k], status)) end
end
return out
