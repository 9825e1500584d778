--[[
  Webhook subscriptions, JSON records in one hash (subs). KEYS[1] the webhook slot's base.
  ARGV[2] op:
  - 'put' ARGV[3] id, ARGV[4] record: creates it; returns 1.
  - 'cas' ARGV[3] id, ARGV[4] the record as read, ARGV[5] the new one: writes only if
    unchanged since the read (the caller merges a patch and retries); returns 1, or 0.
  - 'delete' ARGV[3] id: the record and every delivery of it; returns 1, or 0 when none.
]]
local subs = P .. ':subs'
local op, id = ARGV[2], ARGV[3]
if op == 'put' then
  redis.call('HSET', subs, id, ARGV[4])
  return 1
elseif op == 'cas' then
  if redis.call('HGET', subs, id) ~= ARGV[4] then return 0 end
  redis.call('HSET', subs, id, ARGV[5])
  return 1
end
if redis.call('HDEL', subs, id) == 0 then return 0 end
local log = P .. ':log:' .. id
for _, d in ipairs(redis.call('ZRANGE', log, 0, -1)) do
  local key = P .. ':d:' .. d
  local ep = redis.call('HGET', key, 'endpoint')
  if ep then
    redis.call('ZREM', P .. ':due:' .. ep, d)
    redis.call('ZREM', P .. ':fly:' .. ep, d)
  end
  redis.call('ZREM', P .. ':age', d)
  redis.call('DEL', key)
end
redis.call('DEL', log)
return 1
