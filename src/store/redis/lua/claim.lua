--[[
  Lease up to `limit` jobs of a queue in fair order (see domain/fair-share.ts).
  ARGV[2] queue, ARGV[3] workerId, ARGV[4] limit, ARGV[5] leaseMs, ARGV[6..] one fresh token per job
  Returns a list of jobs (flat HGETALL lists), each with its lease_token.
]]
local queue, workerId, limit, leaseMs = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local t = now()
local out = {}
local meta = redis.call('HMGET', queueKey(queue), 'paused', 'max_workers', 'running')
if meta[1] == '1' then return out end
local capacity = limit
if meta[2] then capacity = math.min(limit, tonumber(meta[2]) - num(meta[3], 0)) end
local i = 0
while i < capacity do
  local member = redis.call('ZRANGE', readyKey(queue), 0, 0)[1]
  if not member then break end
  local rest = string.sub(member, 14)
  local sep = string.find(rest, '|', 1, true)
  local owner, project = string.sub(rest, 1, sep - 1), string.sub(rest, sep + 1)
  local id = redis.call('ZRANGE', groupKey(queue, owner, project), 0, 0)[1]
  if not id then
    -- Unreachable while the invariant holds; heal rather than spin.
    redis.call('ZREM', readyKey(queue), member)
    redis.call('DEL', groupMetaKey(queue, owner, project))
  else
    i = i + 1
    local job = getJob(id)
    local token = ARGV[5 + i]
    if job.error then
      redis.call('HDEL', jobKey(id), 'error')
      job.error = nil
    end
    setStatus(job, 'running', t + leaseMs, {
      'attempts', tonumber(job.attempts) + 1, 'started_at', t, 'worker_id', workerId, 'lease_token', token,
      'lease_expires_at', t + leaseMs, 'cancel_requested', 0,
    })
    local gm = groupMetaKey(queue, owner, project)
    local vstart = tonumber(redis.call('HGET', gm, 'vstart'))
    redis.call('HINCRBY', queueKey(queue), 'running', 1)
    if vstart + 1 > vtime(queue) then redis.call('HSET', queueKey(queue), 'vtime', vstart + 1) end
    redis.call('HINCRBY', ownerKey(owner), 'running', 1)
    redis.call('INCR', projectKey(owner, project))
    -- One turn on: the group goes behind every other group of its priority.
    redis.call('HSET', gm, 'vstart', vstart + 1)
    refileGroup(queue, owner, project)
    parkIfAtLimit(owner, project)
    out[#out + 1] = flat(job)
  end
end
return out
