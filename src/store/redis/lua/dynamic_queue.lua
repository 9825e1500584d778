--[[
  Dynamic queues (store/queue-registry.ts), in the global slot KEYS[1] "<prefix>:{g}":
  `:dq` hash queue → "<createdAt>|<owner>", `:dqu` sorted set queue by lastUsedAt,
  `:dqo` hash owner → how many it made.
  ARGV[2] op:
  'use' ARGV[3] queue, ARGV[4] owner, ARGV[5] maxTotal, ARGV[6] maxPerOwner ('' = no cap):
    returns 'known' (lastUsedAt refreshed), 'created', 'total_limit' or 'owner_limit'.
  'retire' ARGV[3] queue, ARGV[4] idleBefore: deletes the record when its lastUsedAt is
    before idleBefore; returns 1 when deleted, else 0.
]]
local dq, dqu, dqo = P .. ':dq', P .. ':dqu', P .. ':dqo'
local op, queue = ARGV[2], ARGV[3]
local t = I(now())
if op == 'use' then
  if redis.call('ZADD', dqu, 'XX', 'CH', t, queue) == 1 or redis.call('HEXISTS', dq, queue) == 1 then
    return 'known'
  end
  local owner, maxTotal, maxPerOwner = ARGV[4], ARGV[5], ARGV[6]
  if maxTotal ~= '' and redis.call('HLEN', dq) >= maxTotal + 0 then return 'total_limit' end
  if maxPerOwner ~= '' and num(redis.call('HGET', dqo, owner), 0) >= maxPerOwner + 0 then return 'owner_limit' end
  redis.call('HSET', dq, queue, t .. '|' .. owner)
  redis.call('ZADD', dqu, t, queue)
  redis.call('HINCRBY', dqo, owner, 1)
  return 'created'
end
local used = redis.call('ZSCORE', dqu, queue)
if not used or used + 0 >= ARGV[4] + 0 then return 0 end
local record = redis.call('HGET', dq, queue)
local owner = string.match(record or '', '^%d+|(.*)$')
redis.call('HDEL', dq, queue)
redis.call('ZREM', dqu, queue)
if owner and redis.call('HINCRBY', dqo, owner, -1) <= 0 then redis.call('HDEL', dqo, owner) end
return 1
