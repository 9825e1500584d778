--[[
  Extend leases. ARGV[2] leaseMs, then pairs ARGV[3+2k] id, ARGV[4+2k] token.
  Returns {extended ids, lost ids, ids asked to cancel}.
]]
local leaseMs = tonumber(ARGV[2])
local t = now()
local expires = I(t + leaseMs)
local extended, lost, cancel = {}, {}, {}
for k = 3, #ARGV, 2 do
  local id, token = ARGV[k], ARGV[k + 1]
  local state = redis.call('HMGET', jobKey(id), 'status', 'lease_token', 'cancel_requested', 'queue')
  if state[1] == 'running' and state[2] == token then
    redis.call('HSET', jobKey(id), 'lease_expires_at', expires)
    -- The running set is the lease set, scored by the negated expiry (see setStatus).
    redis.call('ZADD', statusKey(state[4], 'running'), I(-(t + leaseMs)), id)
    extended[#extended + 1] = id
    if state[3] == '1' then cancel[#cancel + 1] = id end
  else
    lost[#lost + 1] = id
  end
end
return { extended, lost, cancel }
