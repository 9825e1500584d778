--[[
  Extend leases. ARGV[2] leaseMs, then pairs ARGV[3+2k] id, ARGV[4+2k] token.
  Returns {extended ids, lost ids, ids asked to cancel}.
]]
local leaseMs = tonumber(ARGV[2])
local t = now()
local extended, lost, cancel = {}, {}, {}
for k = 3, #ARGV, 2 do
  local id, token = ARGV[k], ARGV[k + 1]
  local job = getJob(id)
  if job and job.status == 'running' and job.lease_token == token then
    redis.call('HSET', jobKey(id), 'lease_expires_at', t + leaseMs)
    redis.call('ZADD', P .. ':leases', t + leaseMs, id)
    extended[#extended + 1] = id
    if job.cancel_requested == '1' then cancel[#cancel + 1] = id end
  else
    lost[#lost + 1] = id
  end
end
return { extended, lost, cancel }
