--[[
  The tenant half of an admission on a cluster, in the owner's own slot (KEYS[1]): the
  idempotency record and the daily quota. ARGV[2]: JSON, see reserveQuota in admission.lua.
]]
--@include admission
return reserveQuota(P, cjson.decode(ARGV[2]))
