--[[
  Leases due webhook deliveries with fair dispatch per endpoint: endpoints whose oldest
  due delivery waited longest go first, and none has more than perEndpoint in flight
  (across every server). A lease that expired (its server died mid-send) is due again.
  Endpoints of a disabled or deleted subscription are skipped (`callback` has none).
  KEYS[1] the webhook slot's base. ARGV[2] limit, ARGV[3] perEndpoint, ARGV[4] leaseMs,
  ARGV[5] a token prefix unique to this call.
  Returns the claimed deliveries as flat HGETALL lists (their token in `lease_token`).
]]
local t = now()
local limit, per, leaseMs = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local epsKey = P .. ':eps'
local candidates = {}
for _, ep in ipairs(redis.call('SMEMBERS', epsKey)) do
  local due, fly = P .. ':due:' .. ep, P .. ':fly:' .. ep
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', fly, '-inf', I(t))) do
    redis.call('ZREM', fly, id)
    redis.call('ZADD', due, I(t), id)
  end
  local first = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
  if #first == 0 then
    if redis.call('ZCARD', fly) == 0 then redis.call('SREM', epsKey, ep) end
  elseif tonumber(first[2]) <= t then
    candidates[#candidates + 1] = { ep = ep, at = tonumber(first[2]), id = first[1] }
  end
end
table.sort(candidates, function(a, b) return a.at < b.at end)
local out = {}
local n = 0
for _, c in ipairs(candidates) do
  if n >= limit then break end
  local sub = redis.call('HGET', P .. ':d:' .. c.id, 'subscription_id')
  local open = sub == 'callback'
  if not open and sub then
    local record = redis.call('HGET', P .. ':subs', sub)
    open = record ~= false and cjson.decode(record).enabled == true
  end
  if open then
    local due, fly = P .. ':due:' .. c.ep, P .. ':fly:' .. c.ep
    local take = math.min(limit - n, per - redis.call('ZCARD', fly))
    if take > 0 then
      local until_ = I(t + leaseMs)
      for _, id in ipairs(redis.call('ZRANGEBYSCORE', due, '-inf', I(t), 'LIMIT', '0', I(take))) do
        local key = P .. ':d:' .. id
        n = n + 1
        redis.call('ZREM', due, id)
        redis.call('ZADD', fly, until_, id)
        redis.call('HINCRBY', key, 'attempts', 1)
        redis.call('HSET', key, 'status', 'sending', 'lease_token', ARGV[5] .. ':' .. n, 'lease_until', until_)
        out[#out + 1] = redis.call('HGETALL', key)
      end
    end
  end
end
return out
