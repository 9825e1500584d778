--[[
  Revoke an API key. ARGV[2] key id. Returns 1, or 0 when no such key.
]]
local prefix = redis.call('HGET', P .. ':keyids', ARGV[2])
if not prefix then return 0 end
local json = redis.call('HGET', P .. ':keys', prefix)
if string.find(json, '"revokedAt":null', 1, true) then
  json = string.gsub(json, '"revokedAt":null', '"revokedAt":' .. string.format('%d', now()), 1)
  redis.call('HSET', P .. ':keys', prefix, json)
end
return 1
