--[[
  The two halves of an admission, shared by admit.lua, reserve.lua, unreserve.lua and
  reserve_admit.lua. A tenant's daily quota and idempotency keys span queues, so they live
  in the tenant's slot (base T); the job lives in its queue's shard (base P). On a single
  Redis reserve_admit.lua runs both halves in one script; on a cluster they are two
  scripts, and unreserve gives the charge back when the queue refuses the job.
]]
local DAY = 86400000
local function nn(v) if v == cjson.null then return nil end return v end

--[[ r: {jobId, queue, runAt?, delayMs?, dailyJobs?, iteration 0|1, calendar, idempotency?}
     Returns {'ok', runAt, deferred 0|1, chargedDay}
           | {'seen', jobId, runAt, deferred, chargedDay} (same key and body: no new charge)
           | {'error', code} ]]
local function reserveQuota(T, r)
  local cal, idem = r.calendar, nn(r.idempotency)
  local t = now()
  local ik
  if idem then
    ik = T .. ':idem:' .. idem.key
    local prior = toTable(redis.call('HGETALL', ik))
    if prior.job and tonumber(prior.exp) > t then
      if prior.fp ~= idem.fingerprint then return { 'error', 'idempotency_conflict' } end
      return { 'seen', prior.job, tonumber(prior.run_at), tonumber(prior.deferred), tonumber(prior.day) }
    end
  end
  local runAt = nn(r.runAt)
  if not runAt then
    if nn(r.delayMs) then runAt = t + r.delayMs else runAt = t end
  end
  local deferred = 0
  local today = math.floor((t - cal.resetOffsetMs) / DAY)
  local charged = today
  local daily = nn(r.dailyJobs)
  if daily then
    local runDay = math.max(today, math.floor((runAt - cal.resetOffsetMs) / DAY))
    charged = nil
    for day = runDay, runDay + 366 do
      if num(redis.call('HGET', T .. ':usage:' .. I(day), 'jobs'), 0) < daily then
        charged = day
        break
      end
    end
    if not charged then return { 'error', 'quota_exhausted' } end
    if charged > runDay then
      deferred = 1
      runAt = charged * DAY + cal.resetOffsetMs + cal.jitterMs
    end
  end
  local uk = T .. ':usage:' .. I(charged)
  if redis.call('HINCRBY', uk, 'jobs', '1') == 1 then
    -- Kept until two days after the day it counts, so quota never resets early.
    redis.call('PEXPIRE', uk, I(math.max(1, (charged + 3) * DAY + cal.resetOffsetMs - t)))
  end
  if r.iteration == 1 then redis.call('HINCRBY', uk, 'iterations', '1') end
  if ik then
    redis.call('DEL', ik)
    redis.call('HSET', ik, 'fp', idem.fingerprint, 'job', r.jobId, 'exp', t + idem.ttlMs, 'run_at', runAt,
      'deferred', deferred, 'day', charged)
    redis.call('PEXPIRE', ik, idem.ttlMs + 60000)
  end
  return { 'ok', runAt, deferred, charged }
end

-- The owner's usage today, for a submit's answer (the tenant half of an AdmitView):
-- {today, jobs, iterations}.
local function usageToday(T, resetOffsetMs)
  local today = math.floor((now() - resetOffsetMs) / DAY)
  local used = redis.call('HMGET', T .. ':usage:' .. I(today), 'jobs', 'iterations')
  return { today, num(used[1], 0), num(used[2], 0) }
end

-- Gives back what reserveQuota charged for job `jobId` (its queue refused it).
local function unreserveQuota(T, jobId, day, iteration, idemKey)
  local uk = T .. ':usage:' .. I(day)
  if redis.call('EXISTS', uk) == 1 then
    if redis.call('HINCRBY', uk, 'jobs', -1) < 0 then redis.call('HSET', uk, 'jobs', 0) end
    if iteration == 1 and redis.call('HINCRBY', uk, 'iterations', -1) < 0 then redis.call('HSET', uk, 'iterations', 0) end
  end
  if idemKey ~= '' then
    local ik = T .. ':idem:' .. idemKey
    if redis.call('HGET', ik, 'job') == jobId then redis.call('DEL', ik) end
  end
end

--[[ Files a job in its queue's shard (base P) once its quota is charged.
     r: {job, limits, runAt, deferred, fresh?} (job.payloadJson is the payload, already
     JSON; fresh: the quota was charged for this id in the same call, so it cannot exist)
     Returns {'created', 0, decided} | {'duplicate', 0, job} | {'error', code, detail} ]]
local function admitJob(r)
  local j, L, runAt = r.job, r.limits, r.runAt
  local t = now()
  -- reserve.lua timed the delay on the tenant slot's clock, a moment ago (or on another node).
  if r.deferred ~= 1 and nn(j.delayMs) then runAt = math.max(runAt, t + j.delayMs) end

  -- An idempotent retry whose first attempt got this far already.
  if not r.fresh and redis.call('EXISTS', jobKey(j.id)) == 1 then return { 'duplicate', 0, jobReply(j.id) } end

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
    depth = num(parent[3], 0) + 1
    rootId = parent[4] or parentId
    if allowance then
      allowance = allowance + num(redis.call('HGET', jobKey(rootId), 'granted'), 0)
      needsConfirmation = depth > allowance
    end
  end

  redis.call('HSET', ownerKey(j.queue, j.owner), 'max_running', I(nn(L.maxConcurrentPerUser) or -1),
    'max_per_project', I(nn(L.maxConcurrentPerProject) or -1))
  ownerRows[ownerKey(j.queue, j.owner)] = nil

  local status = 'queued'
  if needsConfirmation then status = 'awaiting_confirmation' elseif runAt > t then status = 'scheduled' end
  local seq = redis.call('INCR', P .. ':seq')
  -- Creation order comparable across shards (lists merge by it): microseconds, kept strictly
  -- increasing within the shard (a script's clock is one instant; jobs of one batch differ).
  local ord = math.max(clockUs(), num(redis.call('GET', P .. ':ord'), 0) + 1)
  redis.call('SET', P .. ':ord', I(ord))
  local project = nn(j.projectId) or ''
  local eff = j.priority - L.priorityBoost
  local fields = {
    'seq', seq, 'ord', ord, 'id', j.id, 'queue', j.queue, 'type', j.type, 'priority', j.priority,
    'eff', eff, 'payload', j.payloadJson, 'max_attempts', j.maxAttempts,
    'owner', j.owner, 'project', project, 'created_at', t, 'run_at', runAt,
  }
  -- Zero-valued counters and flags (attempts, progress, depth, grants, cancel) stay absent:
  -- every read defaults them, and a smaller hash is cheaper to read in every script.
  if depth > 0 then table.insert(fields, 'depth'); table.insert(fields, depth) end
  if nn(j.timeoutMs) then table.insert(fields, 'timeout_ms'); table.insert(fields, j.timeoutMs) end
  if parentId then table.insert(fields, 'parent_id'); table.insert(fields, parentId) end
  if rootId then table.insert(fields, 'root_id'); table.insert(fields, rootId) end
  if allowance then table.insert(fields, 'allowance'); table.insert(fields, allowance) end
  for k = 2, #fields, 2 do
    if type(fields[k]) == 'number' then fields[k] = I(fields[k]) end
  end
  redis.call('HSET', jobKey(j.id), unpack(fields))
  redis.call('ZADD', ownerJobsKey(j.queue, j.owner), I(ord), j.id)
  local job = { id = j.id, queue = j.queue, owner = j.owner, project = project, seq = seq, ord = ord, eff = eff }
  setStatus(job, status, runAt)
  if status == 'queued' then
    -- A job behind an existing head changes nothing in the ready set.
    local head = redis.call('ZRANGE', groupKey(j.queue, j.owner, project), '0', '0')[1]
    if head == j.id or redis.call('EXISTS', groupMetaKey(j.queue, j.owner, project)) == 0 then
      refileGroup(j.queue, j.owner, project)
    end
  end
  -- The caller built the rest of the job; only what this script decided goes back.
  return { 'created', 0, { 'id', j.id, 'status', status, 'created_at', t, 'run_at', runAt, 'depth', depth, 'allowance', allowance or '' } }
end
