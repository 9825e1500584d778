--[[
  The two halves of an admission, shared by admit.lua, reserve.lua, unreserve.lua and
  reserve_admit.lua. A tenant's daily quota and idempotency keys span queues, so they live
  in the tenant's slot (base T); the job lives in its queue's shard (base P). On a single
  Redis reserve_admit.lua runs both halves in one script; on a cluster they are two
  scripts, and unreserve gives the charge back when the queue refuses the job.
]]
local DAY = 86400000
-- A decoded JSON request with its nulls (and its nested tables' nulls) as nil, so the
-- steps below read plain values, as reserve_admit.lua passes them.
local function denull(t)
  for k, v in pairs(t) do
    if v == cjson.null then
      t[k] = nil
    elseif type(v) == 'table' then
      denull(v)
    end
  end
  return t
end

-- cache[name], built by build(a, b, c) the first time (fixed arguments: a vararg call
-- costs more, and this runs for every job of a batch).
local function cached(cache, name, build, a, b, c)
  local value = cache[name]
  if not value then
    value = build(a, b, c)
    cache[name] = value
  end
  return value
end

-- The owner's daily counters for `day` (in the tenant's slot T).
local function usageKey(T, day) return T .. ':usage:' .. I(day) end

--[[ What one admission call learns once for all its jobs (a batch is of one queue and
     owner): the shard's sequence and creation-order counters (written back once, by
     endAdmissions), usage counts by day, the group heads filed, each queue's counters,
     whether the owner's limits were written, the new ids for the owner's list (appended
     once, by endAdmissions). Every script that admits calls
     startAdmissions first and endAdmissions last. `handoff` (optional): an idle worker's
     slots, {workerId, leaseMs, slots, tokens, from}, its tokens tokens[from + 1 .. from +
     slots]: a job it may lease at once goes straight to it (see handOff). ]]
local adm = nil
-- The state itself, kept across calls and emptied by each (see clear in common.lua);
-- `fields` is refilled per job, `keys` kept while the shard, queue and owner repeat.
local ADM = {
  usage = {}, pending = {}, usageKeys = {}, limitsSet = {}, heads = {}, queues = {}, owned = {}, fields = {},
  queued = {}, handoff = false, handed = 0, keys = false, seq = false, ord = false, dirty = false,
  readyBusy = false, readyChecked = false,
}
--[[ The tables reserve_admit.lua fills per job and per call (the owner's limits, the
     quota and admission requests, the job), made once, every field named (false for
     none): a field set later than its table's constructor is an insert, ~400
     instructions, and a table that grows past its constructor is rebuilt. ]]
local RESERVE_ADMIT = {
  limits = {
    priorityBoost = 0, maxConcurrentPerUser = false, maxConcurrentPerProject = false, dailyJobs = false,
    iterationDepth = false, limitScope = 'queue',
  },
  calendar = { resetOffsetMs = 0, jitterMs = 0 },
  quota = {
    dailyJobs = false, calendar = false, jobId = false, runAt = false, delayMs = false, iteration = 0,
    idempotency = false,
  },
  admission = { limits = false, decided = {}, created = {}, job = false, runAt = false, deferred = 0, fresh = false },
  job = {
    queue = false, owner = false, id = false, priority = 0, runAt = false, delayMs = false, projectId = false,
    parentId = false, bodyRest = false, payloadJson = false,
  },
  reserved = {},
  handoff = { workerId = false, leaseMs = 0, slots = 0, tokens = false, from = 0 },
}

local function startAdmissions(handoff)
  local a = ADM
  clear(a.usage)
  clear(a.pending)
  clear(a.usageKeys)
  clear(a.limitsSet)
  clear(a.heads)
  clear(a.queues)
  clear(a.owned)
  clear(a.queued)
  a.handoff, a.handed, a.seq, a.ord, a.dirty = handoff or false, 0, false, false, false
  a.readyBusy, a.readyChecked = false, false
  adm = a
end

-- The keys a call's jobs share (a call admits for one queue and owner; its jobs' projects
-- may differ): the owner's job index, owner row, groups; kept while the shard, queue and
-- owner repeat, from call to call.
local function callKeys(queue, owner)
  local k = adm.keys
  if not k or k.P ~= P or k.queue ~= queue or k.owner ~= owner then
    k = {
      P = P, queue = queue, owner = owner, ownerJobs = ownerJobsKey(queue, owner), ownerRow = ownerKey(queue, owner),
      groups = {},
    }
    adm.keys = k
  end
  return k
end

-- A queue's counters as this call knows them: {max_queued, paused, max_workers, running, vtime, queued}
-- (queued as read: the call's own queued jobs are counted in adm.queued until endAdmissions).
local function queueMeta(queue)
  local m = adm.queues[queue]
  if not m then
    m = redis.call('HMGET', queueKey(queue), 'max_queued', 'paused', 'max_workers', 'running', 'vtime', 'queued')
    adm.queues[queue] = m
  end
  return m
end

-- The next job's {seq, ord}: ord is the creation order comparable across shards (lists
-- merge by it): microseconds, strictly increasing within the shard (a call's clock is one
-- instant; the jobs of a batch still differ).
local function nextSeqOrd()
  if not adm.seq then
    local v = redis.call('MGET', P .. ':seq', P .. ':ord')
    adm.seq, adm.ord = num(v[1], 0), num(v[2], 0)
  end
  adm.seq = adm.seq + 1
  adm.ord = math.max(clockUs(), adm.ord + 1)
  adm.dirty = true
  return adm.seq, adm.ord
end

--[[ An owner's jobs in a queue are a list of ids, appended as they are created: ords
     only grow within a shard, so the list is in creation order without a score, and one
     RPUSH per call files them all. A sorted set by ord did the same at a skiplist insert
     per job (the job's dearest index write after its hash) and twice the memory. A
     listing finds its cursor in it by bisection (list_jobs.lua). ]]
local function appendOwnerJobs()
  for key, ids in pairs(adm.owned) do redis.call('RPUSH', key, unpack(ids)) end
end

-- Writes the charges chargeDay held back; anything that reads or refunds a count calls it first.
local function flushUsage()
  if not adm then return end
  for uk, n in pairs(adm.pending) do
    redis.call('HINCRBY', uk, 'jobs', I(n))
    adm.pending[uk] = nil
  end
end

local function endAdmissions()
  if not adm then return end
  flushUsage()
  if adm.dirty then redis.call('MSET', P .. ':seq', I(adm.seq), P .. ':ord', I(adm.ord)) end
  appendOwnerJobs()
  for queue, n in pairs(adm.queued) do redis.call('HINCRBY', queueKey(queue), 'queued', I(n)) end
  adm = nil
end

-- Charges one job to the owner's count for `day` when the day has room under `daily`
-- (every day has room without a quota): the count goes up first and back down when it
-- overshoots, one call in the usual case. A batch remembers the counts it saw, and its
-- later jobs' charges are written together at the end. Returns the day's usage key when
-- charged.
local function chargeDay(T, day, daily, resetOffsetMs, t)
  local known = adm.usage[day]
  if daily and known and known >= daily then return nil end
  local uk = cached(adm.usageKeys, day, usageKey, T, day)
  if known then
    -- The call already read this day's count: it is charged here and written once
    -- (flushUsage), the call being atomic.
    adm.usage[day] = known + 1
    adm.pending[uk] = (adm.pending[uk] or 0) + 1
    return uk
  end
  local used = redis.call('HINCRBY', uk, 'jobs', '1')
  if used == 1 then
    -- Kept until two days after the day it counts, so quota never resets early.
    redis.call('PEXPIRE', uk, I(math.max(1, (day + 3) * DAY + resetOffsetMs - t)))
  end
  if daily and used > daily then
    redis.call('HINCRBY', uk, 'jobs', '-1')
    adm.usage[day] = used - 1
    return nil
  end
  adm.usage[day] = used
  return uk
end

--[[ r: {jobId, queue, runAt?, delayMs?, dailyJobs?, iteration 0|1, calendar, idempotency?}
     out (optional): a table to answer 'ok' in, reused by a caller that admits many jobs.
     Returns {'ok', runAt, deferred 0|1, chargedDay}
           | {'seen', jobId, runAt, deferred, chargedDay} (same key and body: no new charge)
           | {'error', code} ]]
local function reserveQuota(T, r, out)
  local cal, idem = r.calendar, r.idempotency
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
  local runAt = r.runAt
  if not runAt then
    if r.delayMs then runAt = t + r.delayMs else runAt = t end
  end
  local deferred = 0
  local today = math.floor((t - cal.resetOffsetMs) / DAY)
  local charged = today
  local daily = r.dailyJobs
  local uk
  if daily then
    if daily <= 0 then return { 'error', 'quota_exhausted' } end
    local runDay = math.max(today, math.floor((runAt - cal.resetOffsetMs) / DAY))
    charged = nil
    for day = runDay, runDay + 366 do
      uk = chargeDay(T, day, daily, cal.resetOffsetMs, t)
      if uk then
        charged = day
        break
      end
    end
    if not charged then return { 'error', 'quota_exhausted' } end
    if charged > runDay then
      deferred = 1
      runAt = charged * DAY + cal.resetOffsetMs + cal.jitterMs
    end
  else
    uk = chargeDay(T, today, nil, cal.resetOffsetMs, t)
  end
  if r.iteration == 1 then redis.call('HINCRBY', uk, 'iterations', '1') end
  if ik then
    redis.call('DEL', ik)
    redis.call('HSET', ik, 'fp', idem.fingerprint, 'job', r.jobId, 'exp', t + idem.ttlMs, 'run_at', runAt,
      'deferred', deferred, 'day', charged)
    redis.call('PEXPIRE', ik, idem.ttlMs + 60000)
  end
  if not out then return { 'ok', runAt, deferred, charged } end
  out[1], out[2], out[3], out[4] = 'ok', runAt, deferred, charged
  return out
end

-- The owner's usage today, for a submit's answer (the tenant half of an AdmitView):
-- {today, jobs, iterations}.
local function usageToday(T, resetOffsetMs)
  flushUsage()
  local today = math.floor((now() - resetOffsetMs) / DAY)
  local used = redis.call('HMGET', usageKey(T, today), 'jobs', 'iterations')
  return { today, num(used[1], 0), num(used[2], 0) }
end

-- Gives back what reserveQuota charged for job `jobId` (its queue refused it).
local function unreserveQuota(T, jobId, day, iteration, idemKey)
  flushUsage()
  local uk = usageKey(T, day)
  if adm then adm.usage[day] = nil end
  if redis.call('EXISTS', uk) == 1 then
    if redis.call('HINCRBY', uk, 'jobs', -1) < 0 then redis.call('HSET', uk, 'jobs', 0) end
    if iteration == 1 and redis.call('HINCRBY', uk, 'iterations', -1) < 0 then redis.call('HSET', uk, 'iterations', 0) end
  end
  if idemKey ~= '' then
    local ik = T .. ':idem:' .. idemKey
    if redis.call('HGET', ik, 'job') == jobId then redis.call('DEL', ik) end
  end
end

--[[ Whether a new queued job goes straight to the idle worker of this call's handoff:
     when a claim right after this admission would lease exactly it. That holds when the
     worker has a slot left, the queue hands out work (not paused, under max_workers), no
     group of the queue is ready (nothing else is claimable), the owner and the project
     are under their limits and the job's group is empty (so the job is its head). Then
     the job skips its group and the ready set, which the claim would only undo: the
     indexes end as admit-then-claim leaves them. Returns the lease token, or nil. ]]
local function handOff(queue, owner, project, own)
  local h = adm.handoff
  if not h or adm.handed >= h.slots or adm.readyBusy then return nil end
  local m = queueMeta(queue)
  if m[2] == '1' or (m[3] and num(m[4], 0) >= tonumber(m[3])) then return nil end
  if not adm.readyChecked then
    adm.readyBusy = redis.call('EXISTS', readyKey(queue)) == 1
    adm.readyChecked = true
    if adm.readyBusy then return nil end
  end
  if not groupReady(own, project) or redis.call('EXISTS', groupKey(queue, owner, project)) == 1 then return nil end
  adm.handed = adm.handed + 1
  return h.tokens[h.from + adm.handed]
end

-- Leases a handed-off job (see handOff) as claimJobs would: the owner's and the queue's
-- running counts, the queue's virtual time moved on by one turn of a fresh group.
local function fileHandedOff(job, own, expS)
  redis.call('ZADD', statusKey(job.queue, 'running'), '-' .. expS, job.id)
  own.running, own.prun = own.running + 1, own.prun + 1
  if own.tenant then countTenant(own, job.owner, job.project, 1) end
  saveOwnerRow(job.queue, job.owner, job.project, own)
  local m = queueMeta(job.queue)
  m[4] = I(num(m[4], 0) + 1)
  m[5] = I(num(m[5], 0) + 1)
  redis.call('HSET', queueKey(job.queue), 'running', m[4], 'vtime', m[5])
end

--[[ Files a job in its queue's shard (base P) once its quota is charged.
     r: {job, limits, runAt, deferred, fresh?} (job.bodyRest is the packed body after its
     created_at, already JSON: "type",priority,timeoutMs,maxAttempts; job.payloadJson the
     payload, already JSON; fresh: the quota was charged for this id in the same call, so
     it cannot exist)
     Returns {'created', 0, decided} | {'duplicate', 0, job} | {'error', code, detail} ]]
local function admitJob(r)
  local j, L, runAt = r.job, r.limits, r.runAt
  local t = now()
  -- reserve.lua timed the delay on the tenant slot's clock, a moment ago (or on another node).
  if r.deferred ~= 1 and j.delayMs then runAt = math.max(runAt, t + j.delayMs) end

  -- An idempotent retry whose first attempt got this far already.
  if not r.fresh and redis.call('EXISTS', jobKey(j.id)) == 1 then return { 'duplicate', 0, jobReply(j.id) } end

  local m = queueMeta(j.queue)
  local maxQueued = m[1]
  if maxQueued then
    local waiting = num(m[6], 0) + (adm.queued[j.queue] or 0) + redis.call('ZCARD', statusKey(j.queue, 'scheduled'))
      + redis.call('ZCARD', statusKey(j.queue, 'awaiting_confirmation'))
    if waiting >= tonumber(maxQueued) then return { 'error', 'queue_full', j.queue } end
  end

  -- Follow-up iterations: depth from the parent, allowance from the root's confirmed grants.
  -- A chain stays in one queue, so parent and root live in this shard.
  local depth, rootId, needsConfirmation = 0, nil, false
  local allowance = L.iterationDepth
  local parentId = j.parentId
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

  -- The owner's limits are kept with its counters (claims read them together); written
  -- only when they changed, and once per call.
  local keys = callKeys(j.queue, j.owner)
  local okey = keys.ownerRow
  local project = j.projectId or ''
  if not adm.limitsSet[okey] then
    local own = ownerRow(j.queue, j.owner, project)
    -- Compared as numbers (an absent limit reads as -1, none), printed only to be written.
    local maxRunN, maxProjectN = L.maxConcurrentPerUser or -1, L.maxConcurrentPerProject or -1
    -- Scoped to the tenant, the limits live in its tenant row (see tenantRow in
    -- common.lua) and the per-queue row limits nothing.
    local scope = L.limitScope == 'tenant' and 't' or 'q'
    if scope == 't' then
      local t = tenantRow(j.owner)
      noteTenantQueue(t, j.queue)
      if t.maxN ~= maxRunN or t.pmaxN ~= maxProjectN then
        redis.call('HSET', t.key, 'max', I(maxRunN), 'pmax', I(maxProjectN))
        t.maxN, t.pmaxN = maxRunN, maxProjectN
      end
      maxRunN, maxProjectN = -1, -1
    end
    -- A row never tenant-scoped has no scope field (ownerRow then reads no tenant counts).
    local scopeChanged = (own.scope or 'q') ~= scope
    if own.maxRunN ~= maxRunN or own.maxProjectN ~= maxProjectN or scopeChanged then
      local maxRun, maxProject = I(maxRunN), I(maxProjectN)
      if scopeChanged then
        redis.call('HSET', okey, 'max_running', maxRun, 'max_per_project', maxProject, 'scope', scope)
      else
        redis.call('HSET', okey, 'max_running', maxRun, 'max_per_project', maxProject)
      end
      own.max_running, own.max_per_project = maxRun, maxProject
      own.maxRunN, own.maxProjectN = maxRunN, maxProjectN
      if scopeChanged then own.scope = scope end
      own.tenant = scope == 't' and tenantRow(j.owner)
    end
    adm.limitsSet[okey] = true
  end

  local status = 'queued'
  if needsConfirmation then status = 'awaiting_confirmation' elseif runAt > t then status = 'scheduled' end
  local seq, ord = nextSeqOrd()
  local ordS = I(ord)
  local token = nil
  if status == 'queued' and adm.handoff then token = handOff(j.queue, j.owner, project, ownerRow(j.queue, j.owner, project)) end
  local eff = j.priority - L.priorityBoost
  -- A call's clock is one instant: its jobs share the printed time.
  local tS = timeS(t)
  -- The fields the scripts look up most come first: a small hash is a list searched from
  -- the front. Zero-valued counters and flags (attempts, progress, depth, grants, cancel)
  -- stay absent: every read defaults them. The payload, read only whole, goes last.
  local gsN = (eff + 20) * SCORE_BASE + seq
  local gs = I(gsN)
  -- One table for the call's jobs, refilled (n counts what this job put in it).
  local fields = adm.fields
  fields[1], fields[2], fields[3], fields[4], fields[5], fields[6] = 'status', status, 'ord', ordS, 'queue', j.queue
  fields[7], fields[8], fields[9], fields[10], fields[11], fields[12] = 'owner', j.owner, 'project', project, 'gs', gs
  local n = 12
  -- A job due at once runs at its created_at (readers default to it): one field fewer.
  if runAt ~= t then
    fields[13], fields[14] = 'run_at', I(runAt)
    n = 14
  end
  local expS = nil
  if token then
    -- Leased in the same write as it is created: as a claim would write it.
    expS = I(t + adm.handoff.leaseMs)
    fields[2] = 'running'
    fields[n + 1], fields[n + 2], fields[n + 3], fields[n + 4] = 'attempts', '1', 'started_at', tS
    fields[n + 5], fields[n + 6], fields[n + 7], fields[n + 8] = 'worker_id', adm.handoff.workerId, 'lease_token', token
    fields[n + 9], fields[n + 10] = 'lease_expires_at', expS
    n = n + 10
  end
  if depth > 0 then
    fields[n + 1], fields[n + 2] = 'depth', I(depth)
    n = n + 2
  end
  if rootId then
    fields[n + 1], fields[n + 2] = 'root_id', rootId
    n = n + 2
  end
  -- A follow-up's parent has its own field: an id would take the packed body past 64 bytes.
  if parentId then
    fields[n + 1], fields[n + 2] = 'parent_id', parentId
    n = n + 2
  end
  -- A follow-up's allowance grows when it is confirmed: its own field. A root's never
  -- changes: it is packed with the rest.
  local rootAllowance = 'null'
  if allowance and parentId then
    fields[n + 1], fields[n + 2] = 'allowance', I(allowance)
    n = n + 2
  elseif allowance then
    rootAllowance = I(allowance)
  end
  -- What does not change, and the scripts seldom read, in one short field (see
  -- redis-job.ts): [created_at, type, priority, timeoutMs, maxAttempts, a root's
  -- allowance]. Fewer fields make every lookup in the hash (a list searched from
  -- the front) and every read of it cheaper. Short: a value over hash-max-listpack-value
  -- (64 bytes by default) turns the hash into a table several times its size. The
  -- payload, read only whole, goes last.
  fields[n + 1], fields[n + 2] = 'body', '[' .. tS .. ',' .. j.bodyRest .. ',' .. rootAllowance .. ']'
  fields[n + 3], fields[n + 4] = 'payload', j.payloadJson
  redis.call('HSET', jobKey(j.id), unpack(fields, 1, n + 4))
  local owned = adm.owned[keys.ownerJobs]
  if not owned then
    owned = {}
    adm.owned[keys.ownerJobs] = owned
  end
  owned[#owned + 1] = j.id
  if token then
    local job = { id = j.id, queue = j.queue, owner = j.owner, project = project }
    fileHandedOff(job, ownerRow(j.queue, j.owner, project), expS)
  elseif status == 'queued' then
    -- fileStatus's work for a queued job, with the call's keys; the queued count is
    -- written once for the call's jobs (endAdmissions).
    local gk = cached(keys.groups, project, groupKey, j.queue, j.owner, project)
    redis.call('ZADD', gk, gs, j.id)
    adm.queued[j.queue] = (adm.queued[j.queue] or 0) + 1
    -- The ready set may hold a group now: later jobs of the call are not handed off.
    adm.readyBusy = true
    -- A job behind the group's head changes nothing in the ready set; the head a batch
    -- filed is remembered, so its later jobs skip the look.
    local known = adm.heads[gk]
    if not known or gsN < known then
      local head = redis.call('ZRANGE', gk, '0', '0', 'WITHSCORES')
      if head[1] == j.id or redis.call('EXISTS', groupMetaKey(j.queue, j.owner, project)) == 0 then
        refileGroup(j.queue, j.owner, project, nil, head)
      end
      adm.heads[gk] = head[2] + 0
    end
  else
    fileStatus({ id = j.id, queue = j.queue, owner = j.owner, project = project, ord = ordS, gs = gs }, status, runAt)
  end
  -- The caller built the rest of the job; only what this script decided goes back, by
  -- place: id, status, created_at, run_at, depth, allowance ('' = none), and a
  -- handed-off job's lease token (it is reported as admitted: queued).
  -- A caller that admits many jobs passes tables to answer in (r.decided, r.created).
  local decided = r.decided or {}
  decided[1], decided[2], decided[3], decided[4], decided[5], decided[6] = j.id, status, t, runAt, depth, allowance or ''
  decided[7] = token
  local created = r.created or {}
  created[1], created[2], created[3] = 'created', 0, decided
  return created
end
