--[[
  Admit one job into its queue's shard, after reserve.lua charged the owner's quota (in
  the tenant's own slot) and decided when it runs.
  ARGV[2]: JSON {job, limits, runAt, deferred} (job.payloadJson is the payload, already JSON)
  Returns {'created', 0, decided} | {'duplicate', 0, job} | {'error', code, detail}
]]
local r = cjson.decode(ARGV[2])
local function nn(v) if v == cjson.null then return nil end return v end
local j, L, runAt = r.job, r.limits, r.runAt
local t = now()
-- reserve.lua timed the delay on the tenant slot's clock, a moment ago (or on another node).
if r.deferred ~= 1 and nn(j.delayMs) then runAt = math.max(runAt, t + j.delayMs) end

-- An idempotent retry whose first attempt got this far already.
if redis.call('EXISTS', jobKey(j.id)) == 1 then return { 'duplicate', 0, jobReply(j.id) } end

local qk = queueKey(j.queue)
local maxQueued = redis.call('HGET', qk, 'max_queued')
if maxQueued then
  local waiting = redis.call('ZCARD', statusKey(j.queue, 'queued')) + redis.call('ZCARD', statusKey(j.queue, 'scheduled'))
    + redis.call('ZCARD', statusKey(j.queue, 'awaiting_confirmation'))
  if waiting >= tonumber(maxQueued) then return { 'error', 'queue_full', j.queue } end
end

-- Follow-up iterations: depth from the parent, allowance from the root's confirmed grants.
-- A chain stays in one queue, so parent and root live in this shard.
local depth, rootId, needsConfirmation = 0, nil, false
local allowance = nn(L.iterationDepth)
local parentId = nn(j.parentId)
if parentId then
  local parent = redis.call('HMGET', jobKey(parentId), 'owner', 'queue', 'depth', 'root_id')
  if parent[1] ~= j.owner or parent[2] ~= j.queue then return { 'error', 'parent_not_found', parentId } end
  depth = tonumber(parent[3]) + 1
  rootId = parent[4] or parentId
  if allowance then
    allowance = allowance + num(redis.call('HGET', jobKey(rootId), 'granted'), 0)
    needsConfirmation = depth > allowance
  end
end

redis.call('HSET', ownerKey(j.queue, j.owner), 'max_running', nn(L.maxConcurrentPerUser) or -1,
  'max_per_project', nn(L.maxConcurrentPerProject) or -1)

local status = 'queued'
if needsConfirmation then status = 'awaiting_confirmation' elseif runAt > t then status = 'scheduled' end
local seq = redis.call('INCR', P .. ':seq')
-- Creation order comparable across shards (lists merge by it): microseconds, kept strictly
-- increasing within the shard.
local ord = math.max(clockUs(), num(redis.call('GET', P .. ':ord'), 0) + 1)
redis.call('SET', P .. ':ord', ord)
local project = nn(j.projectId) or ''
local eff = j.priority - L.priorityBoost
local fields = {
  'seq', seq, 'ord', ord, 'id', j.id, 'queue', j.queue, 'type', j.type, 'priority', j.priority,
  'eff', eff, 'payload', j.payloadJson, 'attempts', 0, 'max_attempts', j.maxAttempts,
  'pp', 0, 'owner', j.owner, 'project', project, 'depth', depth, 'granted', 0,
  'created_at', t, 'run_at', runAt, 'cancel_requested', 0,
}
if nn(j.timeoutMs) then table.insert(fields, 'timeout_ms'); table.insert(fields, j.timeoutMs) end
if parentId then table.insert(fields, 'parent_id'); table.insert(fields, parentId) end
if rootId then table.insert(fields, 'root_id'); table.insert(fields, rootId) end
if allowance then table.insert(fields, 'allowance'); table.insert(fields, allowance) end
redis.call('HSET', jobKey(j.id), unpack(fields))
redis.call('ZADD', allKey(j.queue), ord, j.id)
redis.call('ZADD', ownerJobsKey(j.queue, j.owner), ord, j.id)
local job = { id = j.id, queue = j.queue, owner = j.owner, project = project, seq = seq, ord = ord, eff = eff }
setStatus(job, status, runAt)
if status == 'queued' then
  -- A job behind an existing head changes nothing in the ready set.
  local head = redis.call('ZRANGE', groupKey(j.queue, j.owner, project), 0, 0)[1]
  if head == j.id or redis.call('EXISTS', groupMetaKey(j.queue, j.owner, project)) == 0 then
    refileGroup(j.queue, j.owner, project)
  end
end
-- The caller built the rest of the job; only what this script decided goes back.
return { 'created', 0, { 'status', status, 'created_at', t, 'run_at', runAt, 'depth', depth, 'allowance', allowance or '' } }
