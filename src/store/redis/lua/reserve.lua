--[[
  The tenant half of an admission on a cluster, in the owner's own slot (KEYS[1]): the
  idempotency record and the daily quota. ARGV[2]: JSON, see reserveQuota in
  admission.lua, plus view?: then the reply ends with {today, jobs, iterations} used today.
]]
--@include admission
local r = cjson.decode(ARGV[2])
local reply = reserveQuota(P, r)
if r.view and reply[1] ~= 'error' then
  local today = math.floor((now() - r.calendar.resetOffsetMs) / DAY)
  local used = redis.call('HMGET', P .. ':usage:' .. today, 'jobs', 'iterations')
  reply[#reply + 1] = { today, num(used[1], 0), num(used[2], 0) }
end
return reply
