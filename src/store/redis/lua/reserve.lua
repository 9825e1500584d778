--[[
  The tenant half of an admission on a cluster, in the owner's own slot (KEYS[1]): the
  idempotency record and the daily quota. ARGV[2]: JSON, see reserveQuota in
  admission.lua, plus view?: then the reply ends with {today, jobs, iterations} used today.
]]
--@include admission
local r = denull(cjson.decode(ARGV[2]))
startAdmissions()
local reply = reserveQuota(P, r)
endAdmissions()
if r.view and reply[1] ~= 'error' then
  reply[#reply + 1] = usageToday(P, r.calendar.resetOffsetMs)
end
return reply
