--[[
  Deletes finished deliveries (and job callback registrations) created before a time.
  KEYS[1] the webhook slot's base. ARGV[2] before (ms), ARGV[3] limit.
  Returns how many deliveries were deleted.
]]
local before, limit = ARGV[2], ARGV[3]
for _, job in ipairs(redis.call('ZRANGEBYSCORE', P .. ':cbage', '-inf', '(' .. before, 'LIMIT', '0', limit)) do
  redis.call('HDEL', P .. ':cb', job)
  redis.call('ZREM', P .. ':cbage', job)
end
local n = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. ':age', '-inf', '(' .. before, 'LIMIT', '0', limit)) do
  local key = P .. ':d:' .. id
  local sub = redis.call('HGET', key, 'subscription_id')
  if sub then redis.call('ZREM', P .. ':log:' .. sub, id) end
  redis.call('DEL', key)
  redis.call('ZREM', P .. ':age', id)
  n = n + 1
end
return n
