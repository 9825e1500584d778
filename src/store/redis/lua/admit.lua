--[[
  Admit one job.
  ARGV[2]: JSON {job, limits, calendar, idempotency} (job.payloadJson is the payload, already JSON)
  Returns {'created', deferredByQuota 0|1, job} | {'duplicate', 0, job} | {'error', code, detail}
]]
local r = cjson.decode(ARGV[2])
local function nn(v) if v == cjson.null then return nil end return v end
local j, L, cal, idem = r.job, r.limits, r.calendar, nn(r.idempotency)
local t = now()
local DAY = 86400000

if idem then
  local ik = P .. ':idem:' .. j.owner .. ':' .. idem.key
  local prior = toTable(redis.call('HGETALL', ik))
  if prior.job and tonumber(prior.exp) > t then
    if prior.fp ~= idem.fingerprint then return { 'error', 'idempotency_conflict', '' } end
    if redis.call('EXISTS', jobKey(prior.job)) == 1 then return { 'duplicate', 0, jobReply(prior.job) } end
  end
end

local maxQueued = redis.call('HGET', queueKey(j.queue), 'max_queued')
if maxQueued then
  local qs = P .. ':qs:' .. j.queue .. ':'
  local waiting = redis.call('ZCARD', qs .. 'queued') + redis.call('ZCARD', qs .. 'scheduled')
    + redis.call('ZCARD', qs .. 'awaiting_confirmation')
  if waiting >= tonumber(maxQueued) then return { 'error', 'queue_full', j.queue } end
end

redis.call('HSET', ownerKey(j.owner), 'boost', L.priorityBoost,
  'max_running', nn(L.maxConcurrentPerUser) or -1, 'max_per_project', nn(L.maxConcurrentPerProject) or -1)

-- Follow-up iterations: depth from the parent, allowance from the root's confirmed grants.
local depth, rootId, needsConfirmation = 0, nil, false
local allowance = nn(L.iterationDepth)
local parentId = nn(j.parentId)
if parentId then
  local parent = getJob(parentId)
  if not parent or parent.owner ~= j.owner then return { 'error', 'parent_not_found', parentId } end
  depth = tonumber(parent.depth) + 1
  rootId = parent.root_id or parent.id
  if allowance then
    allowance = allowance + num(redis.call('HGET', jobKey(rootId), 'granted'), 0)
    needsConfirmation = depth > allowance
  end
end

local runAt = nn(j.runAt)
if not runAt then
  if nn(j.delayMs) then runAt = t + j.delayMs else runAt = t end
end
local deferred = 0
local today = math.floor((t - cal.resetOffsetMs) / DAY)
local charged = today
local daily = nn(L.dailyJobs)
if daily then
  local runDay = math.max(today, math.floor((runAt - cal.resetOffsetMs) / DAY))
  charged = nil
  for day = runDay, runDay + 366 do
    if num(redis.call('HGET', P .. ':usage:' .. j.owner .. ':' .. day, 'jobs'), 0) < daily then
      charged = day
      break
    end
  end
  if not charged then return { 'error', 'quota_exhausted', '' } end
  if charged > runDay then
    deferred = 1
    runAt = charged * DAY + cal.resetOffsetMs + cal.jitterMs
  end
end
local uk = P .. ':usage:' .. j.owner .. ':' .. charged
if redis.call('HINCRBY', uk, 'jobs', 1) == 1 then
  -- Kept until two days after the day it counts, so quota never resets early.
  redis.call('PEXPIRE', uk, math.max(1, (charged + 3) * DAY + cal.resetOffsetMs - t))
end
if depth > 0 then redis.call('HINCRBY', uk, 'iterations', 1) end

local status = 'queued'
if needsConfirmation then status = 'awaiting_confirmation' elseif runAt > t then status = 'scheduled' end
local seq = redis.call('INCR', P .. ':seq')
local project = nn(j.projectId) or ''
local fields = {
  'seq', seq, 'id', j.id, 'queue', j.queue, 'type', j.type, 'priority', j.priority,
  'eff', j.priority - L.priorityBoost, 'payload', j.payloadJson, 'attempts', 0, 'max_attempts', j.maxAttempts,
  'pp', 0, 'owner', j.owner, 'project', project, 'depth', depth, 'granted', 0,
  'created_at', t, 'run_at', runAt, 'cancel_requested', 0,
}
if nn(j.timeoutMs) then table.insert(fields, 'timeout_ms'); table.insert(fields, j.timeoutMs) end
if parentId then table.insert(fields, 'parent_id'); table.insert(fields, parentId) end
if rootId then table.insert(fields, 'root_id'); table.insert(fields, rootId) end
if allowance then table.insert(fields, 'allowance'); table.insert(fields, allowance) end
redis.call('HSET', jobKey(j.id), unpack(fields))
redis.call('SADD', P .. ':queues', j.queue)
redis.call('ZADD', P .. ':qa:' .. j.queue, seq, j.id)
redis.call('ZADD', P .. ':oa:' .. j.owner, seq, j.id)
local job = { id = j.id, queue = j.queue, owner = j.owner, project = project, seq = seq, eff = j.priority - L.priorityBoost }
setStatus(job, status, runAt)
if status == 'queued' then
  -- A job behind an existing head changes nothing in the ready set.
  local head = redis.call('ZRANGE', groupKey(j.queue, j.owner, project), 0, 0)[1]
  if head == j.id or redis.call('EXISTS', groupMetaKey(j.queue, j.owner, project)) == 0 then
    refileGroup(j.queue, j.owner, project)
  end
end

if idem then
  local ik = P .. ':idem:' .. j.owner .. ':' .. idem.key
  redis.call('DEL', ik)
  redis.call('HSET', ik, 'fp', idem.fingerprint, 'job', j.id, 'exp', t + idem.ttlMs)
  redis.call('PEXPIRE', ik, idem.ttlMs + 60000)
end
-- The caller built the rest of the job; only what this script decided goes back.
return { 'created', deferred, { 'status', status, 'seq', seq, 'created_at', t, 'run_at', runAt, 'depth', depth, 'allowance', allowance or '' } }
