--[[
  The worker registry. ARGV[2] op: 'register' (ARGV[3] record JSON without lastSeenAt),
  'touch' (ARGV[3] id, ARGV[4] state, ARGV[5] running), 'remove' (ARGV[3] id),
  'list' (ARGV[3] forgetAfterMs). Records are JSON in one hash; lastSeenAt is this clock.
]]
local key = P .. ':workers'
local t = now()
local op = ARGV[2]
if op == 'register' then
  local r = cjson.decode(ARGV[3])
  r.lastSeenAt = t
  -- Written back as the caller's JSON with lastSeenAt spliced in, so empty arrays/objects survive.
  local json = string.sub(ARGV[3], 1, -2) .. ',"lastSeenAt":' .. string.format('%d', t) .. '}'
  redis.call('HSET', key, r.id, json)
  return json
elseif op == 'touch' then
  local json = redis.call('HGET', key, ARGV[3])
  if not json then return false end
  json = string.gsub(json, '"state":"[a-z]+"', '"state":"' .. ARGV[4] .. '"', 1)
  json = string.gsub(json, '"running":%d+', '"running":' .. ARGV[5], 1)
  json = string.gsub(json, '"lastSeenAt":%d+', '"lastSeenAt":' .. string.format('%d', t), 1)
  redis.call('HSET', key, ARGV[3], json)
  return json
elseif op == 'remove' then
  return redis.call('HDEL', key, ARGV[3])
end
local forgetBefore = t - tonumber(ARGV[3])
local out = {}
local all = redis.call('HGETALL', key)
for k = 1, #all, 2 do
  local seen = tonumber(string.match(all[k + 1], '"lastSeenAt":(%d+)'))
  if seen < forgetBefore then redis.call('HDEL', key, all[k]) else out[#out + 1] = all[k + 1] end
end
return out
