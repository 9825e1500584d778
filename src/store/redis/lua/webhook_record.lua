--[[
  Records webhook deliveries, each pending and due now, unless its id exists (the same
  message recorded twice, e.g. by the event stream and by the sweep, is one delivery).
  KEYS[1] the webhook slot's base. ARGV[2..]: 8 per delivery: id, subscriptionId,
  endpoint, channel, target, event, jobId ('' = none), payload.
  Keys: d:<id> the delivery's hash; due:<endpoint> (zset by due time); eps (endpoints
  with open deliveries); log:<subscription> (zset by seq, the log's order); seq.
  Returns how many were new.
]]
local t = I(now())
local added = 0
for a = 2, #ARGV, 8 do
  local id = ARGV[a]
  local key = P .. ':d:' .. id
  if redis.call('EXISTS', key) == 0 then
    local seq = redis.call('INCR', P .. ':seq')
    local sub, ep = ARGV[a + 1], ARGV[a + 2]
    redis.call('HSET', key, 'id', id, 'subscription_id', sub, 'endpoint', ep, 'channel', ARGV[a + 3], 'target', ARGV[a + 4],
      'event', ARGV[a + 5], 'payload', ARGV[a + 7], 'status', 'pending', 'attempts', '0', 'created_at', t,
      'next_attempt_at', t, 'seq', I(seq))
    if ARGV[a + 6] ~= '' then redis.call('HSET', key, 'job_id', ARGV[a + 6]) end
    redis.call('ZADD', P .. ':due:' .. ep, t, id)
    redis.call('SADD', P .. ':eps', ep)
    redis.call('ZADD', P .. ':log:' .. sub, I(seq), id)
    added = added + 1
  end
end
return added
