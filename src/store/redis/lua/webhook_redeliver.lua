--[[
  A delivery back to pending, due now, with a fresh attempt budget (one on the wire
  keeps its lease and is left as it is).
  KEYS[1] the webhook slot's base. ARGV[2] id, ARGV[3] its subscription's id.
  Returns the delivery's HGETALL, or false when the subscription has no such delivery.
]]
local id = ARGV[2]
local key = P .. ':d:' .. id
local d = redis.call('HMGET', key, 'subscription_id', 'status', 'endpoint')
if d[1] ~= ARGV[3] then return false end
if d[2] ~= 'sending' then
  local t = I(now())
  redis.call('HSET', key, 'status', 'pending', 'attempts', '0', 'next_attempt_at', t)
  redis.call('ZADD', P .. ':due:' .. d[3], t, id)
  redis.call('SADD', P .. ':eps', d[3])
  redis.call('ZREM', P .. ':age', id)
end
return redis.call('HGETALL', key)
