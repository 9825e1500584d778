--[[
  Both halves of an admission in one atomic script, for a single Redis (not a cluster),
  where a script may touch the tenant's slot and the queue's shard together.
  KEYS[1] the queue's shard, KEYS[2] the tenant's base.
  ARGV[2]: JSON {reserve, job, limits} (see admission.lua). Returns admitJob's reply.
]]
--@include admission
local r = cjson.decode(ARGV[2])
local T = KEYS[2]
local res = reserveQuota(T, r.reserve)
if res[1] == 'error' then return res end
local seen = res[1] == 'seen'
if seen then r.job.id = res[2] end
local off = seen and 1 or 0
local reply = admitJob({ job = r.job, limits = r.limits, runAt = res[2 + off], deferred = res[3 + off] })
if reply[1] == 'error' and not seen then
  unreserveQuota(T, r.job.id, res[4], r.reserve.iteration, nn(r.reserve.idempotency) and r.reserve.idempotency.key or '')
end
if reply[1] == 'created' then reply[2] = res[3 + off] end
return reply
