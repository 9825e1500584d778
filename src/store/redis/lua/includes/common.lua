--[[
  Shared helpers, loaded once with the function library (see scripts/build-lua.mjs).
  Every function starts with begin(KEYS, ARGV). KEYS[1] is the base of the one Redis
  Cluster slot the call works in, e.g. "jg:{3fa2}" for a queue shard (see redis-keys.ts):
  every key a call touches is built from it. A queue shard holds the jobs and indexes of
  the queues whose name hashes to it; keys of several queues in one shard carry the queue
  name after the tag. ARGV[1] is "<clock>;<agingTurns>": the clock is an offset in ms
  added to Redis' TIME ("0" outside tests) or "=<ms>" for a fixed time (tests only).
  Every other argument starts at ARGV[2].

  Job hashes hold the SQLite `jobs` columns the scripts read or write, one field each (a
  null is an absent field), the payload, and the rest packed in `body` (see admitJob); the
  id is the key's, not a field.
]]
--[[ Numbers from Redis replies are strings. Lua 5.1's tonumber() parses a string twice
     (lua_isnumber, then lua_tonumber; ~1k instructions of strtod each), arithmetic
     coerces it once: on the paths every job takes, a string known to hold a number is
     turned into one with `s + 0`, not tonumber(s). ]]

-- Per-call state, set by begin(): calls run one at a time, so library upvalues are safe.
local P, CLOCK, AGING
-- The clock argument's offset as a number (see clockUs), parsed once per clock argument.
local CLOCK_N = 0
-- AGING as a number, parsed once per clock argument (aging() is read on every claim).
local AGING_N = 10
-- Read once per call: a call is atomic, so its time is one instant (TIME costs ~1 µs).
local clockCache, nowCache = nil, nil
-- Owner rows read in this call, by owner key: one project's row each (see ownerRow).
local ownerRows = {}
-- Writes held back in this call when the caller asked for it (complete_and_claim.lua):
-- queue running-count changes by queue, which the claim that follows writes with its
-- own, and owner rows (marked dirty), written once at the end (see flushHeld).
local heldRunning = nil

-- The last clock argument seen and its parts: servers send the same one call after call.
local lastClockArg = nil

--[[ Empties a table kept across calls. A call makes its working tables once per library
     load and empties them instead of building new ones: a table costs ~1k instructions
     to make and collect, and each named field ~400 to insert, which a lone submit paid
     some 25 and 100 times over. Calls run one at a time, so nothing else sees them. ]]
local function clear(t)
  for k in pairs(t) do t[k] = nil end
end

-- Tenant-scoped limits (see tenantRow): their counts' base, '' = this call's slot (a cluster).
local TENANT_BASE = ''
-- Tenant rows read in this call, by key (see tenantRow).
local tenantRows = {}

local function begin(keys, argv)
  P = keys[1]
  if argv[1] ~= lastClockArg then
    CLOCK, AGING, TENANT_BASE = string.match(argv[1], '^([^;]*);?(%d*);?(.*)$')
    AGING_N = tonumber(AGING) or 10
    if string.sub(CLOCK, 1, 1) ~= '=' then CLOCK_N = tonumber(CLOCK) end
    lastClockArg = argv[1]
  end
  clockCache, nowCache = nil, nil
  clear(ownerRows)
  clear(tenantRows)
  heldRunning = nil
end

local SCORE_BASE = 1e12 -- group score (a job's `gs`) = (eff + 20) * SCORE_BASE + seq: priority, then FIFO

local function clockUs()
  if not clockCache then
    if string.sub(CLOCK, 1, 1) == '=' then
      clockCache = tonumber(string.sub(CLOCK, 2)) * 1000
    else
      local t = redis.call('TIME')
      clockCache = t[1] * 1000000 + t[2] + CLOCK_N * 1000
    end
  end
  return clockCache
end

-- The call's time in ms (an admission asks for it twice per job).
local function now()
  if not nowCache then nowCache = math.floor(clockUs() / 1000) end
  return nowCache
end

-- An integer as a command argument. Redis 7.0 formats a Lua number argument with
-- "%.17g" (and tostring uses "%.14g"): a multi-precision float print that cost a tenth
-- of a complete-and-claim's instructions. "%d" is an integer print. Every number the
-- scripts store (times, counters, scores) is an integer.
local function I(n) return string.format('%d', n) end
-- A call's time, printed once: a call is one instant, and a completion and the claim
-- after it both stamp it.
local printedT, printedTS = nil, nil
local function timeS(t)
  if t ~= printedT then printedT, printedTS = t, I(t) end
  return printedTS
end
-- A score or time that may already be a string (callers that use one number twice print it once).
local function S(n)
  if type(n) == 'string' then return n end
  return I(n)
end

-- Queue names hold no "|", so "<queue>|<rest>" never collides across queues of a shard.
local function jobKey(id) return P .. ':job:' .. id end
local function queueKey(queue) return P .. ':q:' .. queue end
local function statusKey(queue, status) return P .. ':qs:' .. queue .. '|' .. status end
-- A job's artifact records and the slot's jobs that have some (see redis-keys.ts).
local function artifactsKey(id) return P .. ':art:' .. id end
local function artifactJobsKey() return P .. ':artjobs' end
local function groupName(owner, project) return owner .. '|' .. project end
-- A group's queued jobs by `gs` (see SCORE_BASE), by the group's name.
local function namedGroupKey(queue, name) return P .. ':g:' .. queue .. '|' .. name end
local function groupKey(queue, owner, project) return namedGroupKey(queue, groupName(owner, project)) end
local function groupMetaKey(queue, owner, project) return P .. ':gm:' .. queue .. '|' .. groupName(owner, project) end
local function readyKey(queue) return P .. ':ready:' .. queue end
-- A queue's fair-queue groups that hold jobs, by name ("<owner>|<project>"): queued jobs
-- have no index of their own but their groups (see queuedDelta), so listings walk these.
local function queueGroupsKey(queue) return P .. ':qg:' .. queue end
-- Owner and project counters are per queue: a tier's limits hold in each queue (its own pool).
-- One hash per (queue, owner): running, the limits, and each project's running count as
-- "p|<project>", so a claim reads and writes them in one call each.
local function ownerKey(queue, owner) return P .. ':own:' .. queue .. '|' .. owner end
local function ownerGroupsKey(queue, owner) return P .. ':og:' .. queue .. '|' .. owner end
-- An owner's jobs in a queue, a list of ids in creation order (see appendOwnerJobs).
local function ownerJobsKey(queue, owner) return P .. ':ol:' .. queue .. '|' .. owner end
local function finishedKey(queue) return P .. ':fin:' .. queue end

local function toTable(flat)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

local function getJob(id)
  local flat = redis.call('HGETALL', jobKey(id))
  if #flat == 0 then return nil end
  local job = toTable(flat)
  job.id = id
  return job
end

-- A job's attempt limit, from its packed body (see admitJob).
local function maxAttempts(job)
  return cjson.decode(job.body)[5]
end

local function num(value, default)
  if value == nil or value == false or value == '' then return default end
  return value + 0
end

local TERMINAL = { completed = true, failed = true, cancelled = true }

-- Adds `delta` to a counter that must not go below zero.
local function addFloor(key, field, delta)
  local v = redis.call('HINCRBY', key, field, I(delta))
  if v < 0 then redis.call('HSET', key, field, '0') end
end

--[[ Queued jobs are filed in their fair-queue group alone: the group's sorted set is the
     queue's order, and a second set of every queued job by creation order (what the
     other statuses have) cost each add and claim a skiplist write into a set as large as
     the backlog, and each queued job ~145 bytes. Their count is the queue hash's
     `queued` field, moved here by one job at a time, and by a claim or an admission once
     for all its jobs. Listings walk the groups (list_jobs.lua). ]]
local function queuedDelta(queue, delta) addFloor(queueKey(queue), 'queued', delta) end

-- Files a job under status `to` in the indexes (setStatus's second half; a new job is
-- filed straight away, its status written with its other fields): its queue's status set
-- (whose ZCARD is the status count; scored by `ord`, the cross-queue creation order lists
-- merge by) or, when queued, its group alone (see queuedDelta), the shard's scheduled
-- set, the finished set. `score`
-- is the due time for scheduled, the finish time for the end states. A claim files its
-- leases itself (see claimJobs).
local function fileStatus(job, to, score)
  local id, queue = job.id, job.queue
  if to == 'queued' then
    redis.call('ZADD', groupKey(queue, job.owner, job.project), job.gs, id)
    queuedDelta(queue, 1)
    return
  end
  redis.call('ZADD', statusKey(queue, to), job.ord, id)
  if to == 'scheduled' then
    redis.call('ZADD', P .. ':sched', S(score), id)
  elseif TERMINAL[to] then
    redis.call('ZADD', finishedKey(queue), S(score), id)
  end
end

-- Moves a job to `to`, keeping every index in step. The caller sets the other fields
-- and re-files the group afterwards.
local function setStatus(job, to, score, extra)
  local from = job.status
  local id, queue = job.id, job.queue
  if from == 'queued' then
    redis.call('ZREM', groupKey(queue, job.owner, job.project), id)
    queuedDelta(queue, -1)
  elseif from then
    redis.call('ZREM', statusKey(queue, from), id)
    if from == 'scheduled' then redis.call('ZREM', P .. ':sched', id) end
    if TERMINAL[from] then redis.call('ZREM', finishedKey(queue), id) end
  end
  fileStatus(job, to, score)
  if extra then
    for k = 2, #extra, 2 do
      if type(extra[k]) == 'number' then extra[k] = I(extra[k]) end
    end
    redis.call('HSET', jobKey(id), 'status', to, unpack(extra))
    for k = 1, #extra, 2 do job[extra[k]] = extra[k + 1] end
  else
    redis.call('HSET', jobKey(id), 'status', to)
  end
  job.status = to
end

-- The job table as a flat reply, for scripts that kept it up to date (saves a re-read).
local function flat(job)
  local out = {}
  for k, v in pairs(job) do
    out[#out + 1] = k
    if type(v) == 'number' then out[#out + 1] = I(v) else out[#out + 1] = v end
  end
  return out
end

local function aging() return AGING_N end

-- An owner's running count, limits and one project's running count. Kept for the call,
-- so a completion and the claim after it read the row once. A caller that changes the
-- row saves it (saveOwnerRow); a write of the limits (admission) forgets it.
local function writeOwnerRow(key, own)
  own.dirty = false
  -- A completion and the claim after it often leave the counts where they were read.
  -- The tenant-counted ones (see countTenant) move only for a tenant-scoped owner.
  if own.trun ~= own.tstored or own.tprun ~= own.tpstored then
    redis.call('HSET', key, 'trun', I(own.trun), 'tp|' .. own.project, I(own.tprun))
    own.tstored, own.tpstored = own.trun, own.tprun
  end
  if own.running == own.stored and own.prun == own.pstored then return end
  redis.call('HSET', key, 'running', I(own.running), 'p|' .. own.project, I(own.prun))
  own.stored, own.pstored = own.running, own.prun
end

--[[ Tenant-scoped limits (a tier's limitScope "tenant"): an owner's running jobs, and
     each project's, across queues, in one hash per owner: running, max, pmax, "p|<project>"
     and `parked`, the "<base>\t<queue>" of queues where its groups were parked (a set).
     On one Redis the hash lives under one base for every queue (the clock argument's
     third part), on a cluster in each script's own slot: the limits then hold per slot.
     Written through at once, unlike owner rows: a release wakes other queues' groups,
     which read it. ]]
local function tenantKey(owner)
  if TENANT_BASE == '' then return P .. ':ten:' .. owner end
  return TENANT_BASE .. ':ten:' .. owner
end

local function tenantRow(owner)
  local key = tenantKey(owner)
  local t = tenantRows[key]
  if t then return t end
  local v = redis.call('HMGET', key, 'running', 'max', 'pmax')
  t = { key = key, running = num(v[1], 0), maxN = num(v[2], -1), pmaxN = num(v[3], -1), prun = {} }
  tenantRows[key] = t
  return t
end

local function tenantProjectRunning(t, project)
  local n = t.prun[project]
  if not n then
    n = num(redis.call('HGET', t.key, 'p|' .. project), 0)
    t.prun[project] = n
  end
  return n
end

local function tenantAdd(t, project, n)
  t.running = math.max(t.running + n, 0)
  redis.call('HSET', t.key, 'running', I(t.running))
  if project ~= '' then
    t.prun[project] = math.max(tenantProjectRunning(t, project) + n, 0)
    redis.call('HSET', t.key, 'p|' .. project, I(t.prun[project]))
  end
end

local function ownerRow(queue, owner, project)
  local key = ownerKey(queue, owner)
  local known = ownerRows[key]
  if known and known.project == project then return known end
  -- The row kept is one project's: a held write of another goes out before it is replaced.
  if known and known.dirty then writeOwnerRow(key, known) end
  local v = redis.call('HMGET', key, 'running', 'max_running', 'max_per_project', 'p|' .. project, 'scope')
  local running, prun, trun, tprun = num(v[1], 0), num(v[4], 0), 0, 0
  -- Only a row that was ever tenant-scoped has a scope field, and counts the tenant row kept.
  if v[5] then
    local tv = redis.call('HMGET', key, 'trun', 'tp|' .. project)
    trun, tprun = num(tv[1], 0), num(tv[2], 0)
  end
  -- One constructor (a table that grows is rebuilt): the limits also as numbers, parsed
  -- once (claims test them on every turn; -1 = none), the counts also as stored, so a
  -- write that would change nothing is skipped. `tenant`: the owner's tenant row when its
  -- limits span queues (scope 't'), else false.
  known = {
    project = project, running = running, max_running = v[2], max_per_project = v[3], prun = prun,
    maxRunN = num(v[2], -1), maxProjectN = num(v[3], -1), stored = running, pstored = prun, dirty = false,
    scope = v[5] or false, tenant = v[5] == 't' and tenantRow(owner),
    trun = trun, tprun = tprun, tstored = trun, tpstored = tprun,
  }
  ownerRows[key] = known
  return known
end

--[[ Counts n jobs of (queue, owner, project) starting (n > 0, a tenant-scoped owner) or
     one ending (n = -1) in the owner's tenant row. The queue's row keeps how many of its
     running jobs the tenant row counted (trun, "tp|<project>"), and an ending job is
     taken off only if counted: a tier whose scope changes while its jobs run can lag
     (jobs started before count as they end), never drift. ]]
local function countTenant(own, owner, project, n)
  if n > 0 then
    tenantAdd(own.tenant, project, n)
    own.trun, own.tprun = own.trun + n, own.tprun + n
    return
  end
  local counted, pcounted = own.trun > 0, project ~= '' and own.tprun > 0
  if not counted and not pcounted then return end
  local t = own.tenant or tenantRow(owner)
  if counted then
    own.trun = own.trun - 1
    t.running = math.max(t.running - 1, 0)
    redis.call('HSET', t.key, 'running', I(t.running))
  end
  if pcounted then
    own.tprun = own.tprun - 1
    t.prun[project] = math.max(tenantProjectRunning(t, project) - 1, 0)
    redis.call('HSET', t.key, 'p|' .. project, I(t.prun[project]))
  end
end

-- `own` is the row ownerRow returned for (queue, owner, project), changed by the caller.
local function saveOwnerRow(queue, owner, project, own)
  if heldRunning then
    own.dirty = true
  else
    writeOwnerRow(ownerKey(queue, owner), own)
  end
end

local function tenantAtLimit(t)
  return t.maxN >= 0 and t.running >= t.maxN
end

local function tenantProjectAtLimit(t, project)
  return project ~= '' and t.pmaxN >= 0 and tenantProjectRunning(t, project) >= t.pmaxN
end

-- Owner limits are stored as numbers, -1 meaning unlimited.
local function ownerAtLimit(own)
  local max = own.maxRunN
  if max >= 0 and own.running >= max then return true end
  return own.tenant and tenantAtLimit(own.tenant) or false
end

-- `own` is the owner row read for `project`.
local function projectAtLimit(own, project)
  local max = own.maxProjectN
  if project ~= '' and max >= 0 and own.prun >= max then return true end
  return own.tenant and tenantProjectAtLimit(own.tenant, project) or false
end

-- The queues a tenant-scoped owner was admitted to, "<base>\t<queue>" (see tenantRow):
-- where reaching its limit parks its groups and a freed slot wakes them.
local function tenantQueuesKey(t) return t.key .. ':queues' end

local function noteTenantQueue(t, queue)
  redis.call('SADD', tenantQueuesKey(t), P .. '\t' .. queue)
end

-- Runs fn(queue) in each of the tenant's queues but `queue`, with P that queue's base.
local function eachOtherTenantQueue(t, queue, fn)
  local here = P
  for _, entry in ipairs(redis.call('SMEMBERS', tenantQueuesKey(t))) do
    local tab = string.find(entry, '\t', 1, true)
    local base, other = string.sub(entry, 1, tab - 1), string.sub(entry, tab + 1)
    if base ~= here or other ~= queue then
      P = base
      fn(other)
    end
  end
  P = here
end

local function groupReady(own, project)
  return not ownerAtLimit(own) and not projectAtLimit(own, project)
end

local function vtime(queue) return num(redis.call('HGET', queueKey(queue), 'vtime'), 0) end

local function readyMember(gid, owner, project)
  return string.format('%012d', tonumber(gid)) .. '|' .. owner .. '|' .. project
end

--[[ A group's metadata hash holds gid, ready ('1' while in the ready set), heff (the head
     priority its key was computed with) and, while parked, vstart and hk. A ready group's
     start tag lives in its ready-set score alone, hk = vstart + heff * aging: a claim moves
     it there without touching the hash (two calls fewer per claim), so the hash's vstart
     is stale while the group is ready. g: the hash's fields. ]]
local function groupStart(queue, owner, project, g)
  -- heff absent: a group filed before heff existed, whose vstart was kept current.
  if g.ready == '1' and g.heff then
    local hk = redis.call('ZSCORE', readyKey(queue), readyMember(g.gid, owner, project))
    if hk then
      g.hk = hk
      return tonumber(hk) - tonumber(g.heff) * aging()
    end
  end
  return tonumber(g.vstart)
end

-- A group's hash fields, its vstart current (see groupStart) and, when ready, hk as filed.
local function readGroup(queue, owner, project)
  local gv = redis.call('HMGET', groupMetaKey(queue, owner, project), 'gid', 'vstart', 'ready', 'heff', 'hk')
  local g = { gid = gv[1], vstart = gv[2], ready = gv[3], heff = gv[4], hk = gv[5] }
  if g.gid then g.vstart = groupStart(queue, owner, project, g) end
  return g
end

-- Puts a group's head back into the ready set after its queued jobs changed. `known`
-- (readGroup's fields, or from a claim {gid, vstart, ready, heff, member?, own?}) saves
-- re-reading the group's metadata and its owner row, `head` ({id, score}, or {} when
-- empty) re-reading its head. Returns whether it is ready.
local function refileGroup(queue, owner, project, known, head)
  local meta = groupMetaKey(queue, owner, project)
  head = head or redis.call('ZRANGE', groupKey(queue, owner, project), '0', '0', 'WITHSCORES')
  local g = known or readGroup(queue, owner, project)
  if not head[1] then
    if g.gid then
      redis.call('ZREM', readyKey(queue), g.member or readyMember(g.gid, owner, project))
      redis.call('DEL', meta)
      redis.call('SREM', ownerGroupsKey(queue, owner), project)
      redis.call('SREM', queueGroupsKey(queue), groupName(owner, project))
    end
    return false
  end
  if not g.gid then
    g.gid = redis.call('INCR', P .. ':gid')
    g.vstart = vtime(queue)
    redis.call('SADD', ownerGroupsKey(queue, owner), project)
    redis.call('SADD', queueGroupsKey(queue), groupName(owner, project))
  end
  -- The head's effective priority is in its group score: (eff + 20) * SCORE_BASE + seq.
  local eff = math.floor(head[2] / SCORE_BASE) - 20
  local hkS = I(g.vstart + eff * aging())
  local member = g.member or readyMember(g.gid, owner, project)
  local ready = groupReady(g.own or ownerRow(queue, owner, project), project)
  if ready then
    -- Still ready, same head priority (a claim's usual case): only the score moves.
    if g.ready ~= '1' or num(g.heff) ~= eff then
      redis.call('HSET', meta, 'gid', I(g.gid), 'heff', I(eff), 'ready', '1')
    end
    redis.call('ZADD', readyKey(queue), hkS, member)
  else
    redis.call('HSET', meta, 'gid', I(g.gid), 'heff', I(eff), 'ready', '0', 'vstart', I(g.vstart), 'hk', hkS)
    redis.call('ZREM', readyKey(queue), member)
  end
  return ready
end

-- Returns the owner's parked groups in `queue` to the ready set when their limits allow
-- it; a returning group's vstart is lifted to the queue's clock so it gets no burst.
local function unparkOwner(queue, owner, own)
  if ownerAtLimit(own) then return end
  for _, project in ipairs(redis.call('SMEMBERS', ownerGroupsKey(queue, owner))) do
    local meta = groupMetaKey(queue, owner, project)
    local g = toTable(redis.call('HGETALL', meta))
    if g.gid and g.ready == '0' and not projectAtLimit(ownerRow(queue, owner, project), project) then
      local vt = vtime(queue)
      local vstart, hk = tonumber(g.vstart), tonumber(g.hk)
      if vstart < vt then
        hk = hk + (vt - vstart)
        vstart = vt
      end
      redis.call('HSET', meta, 'ready', '1', 'vstart', I(vstart), 'hk', I(hk))
      redis.call('ZADD', readyKey(queue), I(hk), readyMember(g.gid, owner, project))
    end
  end
end

-- `own` is the owner row for `project`, as the caller just wrote it. A group leaving the
-- ready set keeps its start tag in its hash (see groupStart).
local function parkIfAtLimit(queue, owner, project, own, here)
  local all = ownerAtLimit(own)
  if not all and not projectAtLimit(own, project) then return end
  -- A tenant-scoped owner (or project) at its limit is parked in its other queues too.
  if own.tenant and not here then
    eachOtherTenantQueue(own.tenant, queue, function(other)
      parkIfAtLimit(other, owner, project, ownerRow(other, owner, project), true)
    end)
  end
  for _, p in ipairs(redis.call('SMEMBERS', ownerGroupsKey(queue, owner))) do
    if all or p == project then
      local g = readGroup(queue, owner, p)
      if g.gid and g.ready == '1' then
        local fields = { 'ready', '0', 'vstart', I(g.vstart) }
        if g.hk then
          fields[5] = 'hk'
          fields[6] = I(tonumber(g.hk))
        end
        redis.call('HSET', groupMetaKey(queue, owner, p), unpack(fields))
        redis.call('ZREM', readyKey(queue), readyMember(g.gid, owner, p))
      end
    end
  end
end

-- A tenant-scoped owner left its limit: wakes its groups parked in its other queues.
local function wakeTenant(queue, owner, t)
  eachOtherTenantQueue(t, queue, function(other) unparkOwner(other, owner, ownerRow(other, owner, '')) end)
end

-- A running job left `running`: free its slots, wake parked groups. Its lease fields
-- stay in the hash, dead: every reader takes them only from a running job (the status
-- is what fences a lease), which saves rewriting three fields on every finish.
-- Attempts a job's history keeps (field `ah`, a JSON array, oldest first); `ahd` counts
-- the older ones dropped. Mirrors attemptHistoryKeep in src/domain/attempt.ts.
local ATTEMPT_KEEP = 20
-- Set by a script whose lease ends are not the worker's doing (the reaper: lease_lost).
local attemptEnd = nil

-- Records the attempt a lease ends, in the same script as the transition. `outcome` as
-- stored: completed, failed, cancelled, lease_lost, released (a failure whose message
-- says it timed out reads as timed_out, see src/domain/attempt.ts).
local function recordAttempt(job, outcome, errorJson)
  local started = tonumber(job.started_at)
  if not started then return end
  local runAt = tonumber(job.run_at) or cjson.decode(job.body)[1]
  local history = job.ah and cjson.decode(job.ah) or {}
  history[#history + 1] = {
    attempt = num(job.attempts, 0),
    workerId = job.worker_id or cjson.null,
    runAt = runAt,
    startedAt = started,
    endedAt = now(),
    outcome = attemptEnd or outcome,
    error = errorJson and cjson.decode(errorJson) or cjson.null,
  }
  local dropped = num(job.ahd, 0)
  while #history > ATTEMPT_KEEP do
    table.remove(history, 1)
    dropped = dropped + 1
  end
  job.ah, job.ahd = cjson.encode(history), I(dropped)
  redis.call('HSET', jobKey(job.id), 'ah', job.ah, 'ahd', job.ahd)
end

local function releaseLease(job, outcome, errorJson)
  recordAttempt(job, outcome or 'released', errorJson)
  job.worker_id, job.lease_token, job.lease_expires_at = nil, nil, nil
  local queue, owner, project = job.queue, job.owner, job.project
  local own = ownerRow(queue, owner, project)
  -- Parked groups exist only while the owner or this project was at its limit.
  local wasAtLimit = ownerAtLimit(own) or projectAtLimit(own, project)
  if heldRunning then
    heldRunning[queue] = (heldRunning[queue] or 0) - 1
  else
    addFloor(queueKey(queue), 'running', -1)
  end
  own.running, own.prun = math.max(own.running - 1, 0), math.max(own.prun - 1, 0)
  countTenant(own, owner, project, -1)
  saveOwnerRow(queue, owner, project, own)
  if wasAtLimit then
    unparkOwner(queue, owner, own)
    if own.tenant then wakeTenant(queue, owner, own.tenant) end
  end
end

-- Writes what was held back (see heldRunning): owner rows, and running-count changes no claim took.
local function flushHeld()
  for key, own in pairs(ownerRows) do
    if own.dirty then writeOwnerRow(key, own) end
  end
  for queue, delta in pairs(heldRunning or {}) do addFloor(queueKey(queue), 'running', delta) end
  heldRunning = nil
end

local function enqueue(job)
  setStatus(job, 'queued')
  refileGroup(job.queue, job.owner, job.project)
end

-- Ends a job: `fields` is a flat list of extra HSET pairs (result, error, progress).
local function finish(job, status, fields, t)
  local was = job.status
  if was == 'running' then
    local errorJson = nil
    for k = 1, #fields - 1, 2 do
      if fields[k] == 'error' then errorJson = fields[k + 1] end
    end
    releaseLease(job, status, errorJson)
  end
  local tS = timeS(t)
  fields[#fields + 1] = 'finished_at'
  fields[#fields + 1] = tS
  setStatus(job, status, tS, fields)
  if was == 'queued' then refileGroup(job.queue, job.owner, job.project) end
end

-- A running job completed under its lease (complete_and_claim, complete_many_and_claim):
-- its slot freed and its hash written; its index moves are the caller's (fileCompleted),
-- so a batch makes them once for all its jobs.
local function markCompleted(job, resultJson, tS)
  releaseLease(job, 'completed')
  redis.call('HSET', jobKey(job.id), 'status', 'completed', 'result', resultJson, 'pp', '100', 'finished_at', tS)
end

-- Completed jobs leave the running set for the completed set (by ord) and the finished
-- set (by time). One job: id, ord, time; a batch: the three lists, as ZREM and ZADD take them.
local function fileCompleted(queue, ids, ords, finished)
  if type(ids) == 'table' then
    redis.call('ZREM', statusKey(queue, 'running'), unpack(ids))
    redis.call('ZADD', statusKey(queue, 'completed'), unpack(ords))
    redis.call('ZADD', finishedKey(queue), unpack(finished))
  else
    redis.call('ZREM', statusKey(queue, 'running'), ids)
    redis.call('ZADD', statusKey(queue, 'completed'), ords, ids)
    redis.call('ZADD', finishedKey(queue), finished, ids)
  end
end

-- The job whose lease `token` is, or nil and why. `workerId` ('' or nil = any): the lease
-- must also be that worker's (a lease is bound to the worker that claimed it).
local function holdsLease(id, token, workerId)
  local job = getJob(id)
  if not job then return nil, 'not_found' end
  if job.status ~= 'running' or job.lease_token ~= token then return nil, 'lease_lost' end
  if workerId and workerId ~= '' and job.worker_id ~= workerId then return nil, 'lease_lost' end
  return job
end

-- The fields a run may change after its claim (progress stage and message, a cancel request).
local BRIEF_CHANGED = { 'ps', 'pm', 'cancel_requested' }

-- holdsLease for a completion whose caller holds the job as claimed: reads only what
-- finishing needs and what the run may have changed since the claim (job.changed: ps,
-- pm, cancel_requested when set, as flat pairs). The caller names the job's queue,
-- owner and project as its claim read them (they never change; the token proves the
-- caller's claim is the job's current one), so they are not read again.
local function holdsLeaseBrief(id, token, queue, owner, project)
  local v = redis.call('HMGET', jobKey(id), 'status', 'lease_token', 'ord', 'ps', 'pm', 'cancel_requested')
  if not v[1] then return nil, 'not_found' end
  if v[1] ~= 'running' or v[2] ~= token then return nil, 'lease_lost' end
  local changed = {}
  for k, field in ipairs(BRIEF_CHANGED) do
    if v[3 + k] then
      changed[#changed + 1] = field
      changed[#changed + 1] = v[3 + k]
    end
  end
  return { id = id, status = v[1], queue = queue, owner = owner, project = project, ord = v[3], changed = changed }
end

-- A job as a flat reply: the hash, then its id (the hash does not repeat its own key's id).
local function jobReply(id)
  local flat = redis.call('HGETALL', jobKey(id))
  flat[#flat + 1] = 'id'
  flat[#flat + 1] = id
  return flat
end

-- Deletes a job and every index entry it has. The owner's list is searched from the
-- end the job is likely near: a finished job (retention) from the oldest, any other
-- (a cleared queue's waiting jobs) from the newest.
local function removeJob(job)
  local id, queue = job.id, job.queue
  if job.status == 'queued' then
    redis.call('ZREM', groupKey(queue, job.owner, job.project), id)
    queuedDelta(queue, -1)
  else
    for _, key in ipairs({ statusKey(queue, job.status), P .. ':sched', finishedKey(queue) }) do
      redis.call('ZREM', key, id)
    end
  end
  redis.call('LREM', ownerJobsKey(queue, job.owner), TERMINAL[job.status] and '1' or '-1', id)
  redis.call('DEL', jobKey(id))
end

--[[ Leases up to `limit` jobs of `queue` in fair order (see domain/fair-share.ts), with
     one fresh token per job from `tokens`, from its index `from` + 1 on (a script passes
     its ARGV and where the tokens start). Returns the jobs as flat lists. ]]
local function claimJobs(queue, workerId, limit, leaseMs, tokens, t, from)
  local out = {}
  local qk = queueKey(queue)
  local meta = redis.call('HMGET', qk, 'paused', 'max_workers', 'running', 'vtime', 'queued')
  -- A completion earlier in this call freed a slot: its count change is written here.
  local held = heldRunning and heldRunning[queue] or 0
  if heldRunning then heldRunning[queue] = nil end
  local stored = num(meta[3], 0)
  local running, vt = math.max(stored + held, 0), num(meta[4], 0)
  -- The queued count, written at the end with the others: nothing in between files or
  -- unfiles a queued job but the claim itself (see queuedDelta).
  local queued = num(meta[5], 0)
  if meta[1] == '1' then
    if running ~= stored then redis.call('HSET', qk, 'running', I(running)) end
    return out
  end
  local capacity = limit
  if meta[2] then capacity = math.min(limit, meta[2] - running) end
  local tS, expS = timeS(t), I(t + leaseMs)
  -- The running set's score: the lease expiry, negated (see below).
  local leaseScore = '-' .. expS
  local i = 0
  while i < capacity do
    -- The first ready group, and the one behind it: the first keeps its place for
    -- `turns` claims (each moves its key one on), so those are leased as one run, the
    -- indexes written once for the run.
    local first = redis.call('ZRANGE', readyKey(queue), '0', '1', 'WITHSCORES')
    local member = first[1]
    if not member then break end
    local firstKey = first[2] + 0
    local rest = string.sub(member, 14)
    local sep = string.find(rest, '|', 1, true)
    local owner, project = string.sub(rest, 1, sep - 1), string.sub(rest, sep + 1)
    local own = ownerRow(queue, owner, project)
    local run = capacity - i
    -- A tenant-scoped owner's group may be ready here while the owner reached its limit
    -- in another queue: parked now, when met (one claim's turn per queue, not per job).
    local tenantFull = own.tenant and (ownerAtLimit(own) or projectAtLimit(own, project))
    if tenantFull then
      parkIfAtLimit(queue, owner, project, own)
      -- Its hash may still say ready when it was parked on the project alone.
      redis.call('ZREM', readyKey(queue), member)
      run = 0
    end
    if run > 0 and first[3] then
      -- Ties go to the lower member (the lower gid), as in the sorted set.
      local turns = first[4] - firstKey
      if member < first[3] then turns = turns + 1 end
      run = math.min(run, turns)
    end
    -- A run stops where the owner or the project reaches its limit.
    local maxRun, maxProject = own.maxRunN, own.maxProjectN
    if maxRun >= 0 then run = math.min(run, maxRun - own.running) end
    if project ~= '' and maxProject >= 0 then run = math.min(run, maxProject - own.prun) end
    local t = own.tenant
    if t and not tenantFull then
      if t.maxN >= 0 then run = math.min(run, t.maxN - t.running) end
      if project ~= '' and t.pmaxN >= 0 then run = math.min(run, t.pmaxN - tenantProjectRunning(t, project)) end
    end
    if not tenantFull then run = math.max(run, 1) end
    -- The run's jobs and the one behind them (the group's next head).
    local heads = {}
    if run > 0 then heads = redis.call('ZRANGE', groupKey(queue, owner, project), '0', I(run), 'WITHSCORES') end
    if tenantFull then
      -- Parked above; the ready set's next group is tried.
    elseif not heads[1] then
      -- Unreachable while the invariant holds; heal rather than spin.
      redis.call('ZREM', readyKey(queue), member)
      redis.call('DEL', groupMetaKey(queue, owner, project))
      redis.call('SREM', queueGroupsKey(queue), groupName(owner, project))
    else
      -- The group's start tag, from its ready-set score: the head was the job its key was
      -- computed with (every change of head refiles the group). A run keeps to the head's
      -- priority: a lower one behind it changes the group's key.
      local heff = math.floor(heads[2] / SCORE_BASE) - 20
      local vstart = firstKey - heff * aging()
      local ids, leases = {}, {}
      local k = 1
      while heads[k] and #ids < run and math.floor(heads[k + 1] / SCORE_BASE) - 20 == heff do
        local id = heads[k]
        i = i + 1
        -- The hash as read is the reply, with this claim's writes appended: the reader
        -- takes a field's last value. Saves turning the fields into a table and back.
        local jk = jobKey(id)
        local reply = redis.call('HGETALL', jk)
        local attempts, stale = 0, false
        for f = 1, #reply, 2 do
          local field = reply[f]
          if field == 'attempts' then attempts = reply[f + 1] + 0
          elseif field == 'error' or field == 'cancel_requested' then stale = true end
        end
        local fields = {
          'status', 'running', 'attempts', attempts == 0 and '1' or I(attempts + 1), 'started_at', tS, 'worker_id', workerId,
          'lease_token', tokens[from + i], 'lease_expires_at', expS,
        }
        -- A new attempt starts clean: no last error, no cancel request ('' = none).
        if stale then
          for _, field in ipairs({ 'error', 'cancel_requested' }) do
            fields[#fields + 1] = field
            fields[#fields + 1] = ''
          end
        end
        redis.call('HSET', jk, unpack(fields))
        -- The reply appends only what the caller cannot know: it knows the status, its
        -- worker id, the token it sent for this place in line and its lease length.
        for f = 3, 6 do reply[#reply + 1] = fields[f] end
        for f = 13, #fields do reply[#reply + 1] = fields[f] end
        reply[#reply + 1] = 'id'
        reply[#reply + 1] = id
        out[#out + 1] = reply
        ids[#ids + 1] = id
        leases[#leases + 1] = leaseScore
        leases[#leases + 1] = id
        k = k + 2
      end
      -- A claimed job leaves its group (queued) for running. The running set is also
      -- the queue's lease set: scored by the lease's expiry, negated, so a new lease (the
      -- latest) goes to the front of a set of up to 128 jobs (a listpack, scanned from the
      -- front) instead of behind every other.
      redis.call('ZREM', groupKey(queue, owner, project), unpack(ids))
      redis.call('ZADD', statusKey(queue, 'running'), unpack(leases))
      local n = #ids
      running = running + n
      queued = queued - n
      if vstart + n > vt then vt = vstart + n end
      own.running, own.prun = own.running + n, own.prun + n
      if own.tenant then countTenant(own, owner, project, n) end
      saveOwnerRow(queue, owner, project, own)
      -- n turns on: the group goes behind every other group of its priority.
      local head = {}
      if heads[k] then head = { heads[k], heads[k + 1] } end
      -- A group that is still ready proves its owner and project are below their limits.
      local known = { gid = string.sub(member, 1, 12), member = member, vstart = vstart + n, ready = '1', heff = heff, own = own }
      if not refileGroup(queue, owner, project, known, head) then
        parkIfAtLimit(queue, owner, project, own)
      end
    end
  end
  -- A completion and the claim after it (a busy worker at concurrency 1) often leave the
  -- running count where it was: only what moved is written (a claim that leased jobs
  -- moved the queued count; one that did not moved nothing but, maybe, running).
  if #out > 0 and running ~= stored then
    redis.call('HSET', qk, 'running', I(running), 'vtime', I(vt), 'queued', I(math.max(queued, 0)))
  elseif #out > 0 then
    redis.call('HSET', qk, 'vtime', I(vt), 'queued', I(math.max(queued, 0)))
  elseif running ~= stored then
    redis.call('HSET', qk, 'running', I(running))
  end
  return out
end
