--[[
  Both halves of an admission in one atomic script, for a single Redis (not a cluster),
  where a script may touch the tenant's slot and the queue's shard together; several jobs
  of one queue and owner per call (a batch submit pays the script's fixed cost once).
  KEYS[1] the queue's shard, KEYS[2] the tenant's base.
  Shared by the batch, flat ('' = none): ARGV[2] queue, ARGV[3] owner, ARGV[4] priority
  boost, ARGV[5] maxConcurrentPerUser ("t:" before it: limitScope tenant), ARGV[6]
  maxConcurrentPerProject, ARGV[7] dailyJobs,
  ARGV[8] iterationDepth, ARGV[9] the quota day's reset offset in ms, ARGV[10] an idle
  worker's id ('' = none), ARGV[11] its free slots n, ARGV[12] its lease ms, then n fresh
  lease tokens: the jobs that worker can take go to it in this step (see handOff), and it
  claims for the slots left over.
  Then 8 arguments per job, flat: id, priority, projectId, the packed body's rest (see
  admitJob), payload JSON, quota jitterMs, view 0|1, and what few jobs carry ('' = none,
  else JSON {r: runAt, d: delayMs, p: parentId, k, f, t: idempotency key, fingerprint,
  ttlMs}; decoded only when present). Returns one flat list: a created
  job (the usual case) as 9 values in a row, 'c', deferred 0|1 and admitJob's decided
  values with the lease token last ('' = not handed off); any other outcome as admitJob's
  reply, one nested element. Flat because Redis turns every table of a reply into RESP
  with a fixed cost (it probes each table for err/ok/map/set... fields): two tables per
  job were a tenth of an add's instructions. With view 1 a created or repeated job's
  entry ends with what the caller shows next: position or -1, running in the queue,
  today, jobs, iterations (5 more values in a row after a created job's 9; in the
  nested reply's 4th place otherwise). With a worker, the reply is {that list, the jobs
  claimed for its slots left over (claimJobs' replies)}.
]]
--@include admission
--@include position
local T = KEYS[2]
local queue, owner = ARGV[2], ARGV[3]
local function opt(a) if a == '' then return nil end return a end
-- A number argument, '' for none (coerced, not tonumber'd: see the note in common.lua).
local function optN(a) if a == '' then return nil end return a + 0 end
-- The tables each job's steps take (the job, its quota and admission requests and their
-- answers) are the library's, refilled per call and per job (see RESERVE_ADMIT): none
-- outlives its job's turn.
local R = RESERVE_ADMIT
local limits = R.limits
-- ARGV[5] starts "t:" for a tier whose limits span queues (limitScope "tenant").
local userLimit, scope = ARGV[5], 'queue'
if string.sub(userLimit, 1, 2) == 't:' then userLimit, scope = string.sub(userLimit, 3), 'tenant' end
limits.priorityBoost, limits.maxConcurrentPerUser, limits.limitScope = ARGV[4] + 0, optN(userLimit), scope
limits.maxConcurrentPerProject, limits.dailyJobs = optN(ARGV[6]), optN(ARGV[7])
limits.iterationDepth = optN(ARGV[8])
local resetOffsetMs = ARGV[9] + 0
local workerId, slots, handoff = ARGV[10], ARGV[11] + 0, nil
if workerId ~= '' then
  -- The tokens are read in place: ARGV[13..12 + slots].
  handoff = R.handoff
  handoff.workerId, handoff.leaseMs, handoff.slots, handoff.tokens, handoff.from = workerId, ARGV[12] + 0, slots, ARGV, 12
end
local FIRST, PER_JOB = 13 + slots, 8
local out = {}
startAdmissions(handoff)
local calendar = R.calendar
calendar.resetOffsetMs, calendar.jitterMs = resetOffsetMs, 0
local quota = R.quota
quota.dailyJobs, quota.calendar = limits.dailyJobs, calendar
local admission = R.admission
admission.limits = limits
local job = R.job
job.queue, job.owner = queue, owner
local reserved = R.reserved
for a = FIRST, #ARGV, PER_JOB do
  local idem, runAt, delayMs, parentId = nil, nil, nil, nil
  if ARGV[a + 7] ~= '' then
    local seldom = denull(cjson.decode(ARGV[a + 7]))
    runAt, delayMs, parentId = seldom.r, seldom.d, seldom.p
    if seldom.k then idem = { key = seldom.k, fingerprint = seldom.f, ttlMs = seldom.t } end
  end
  job.id, job.priority, job.runAt, job.delayMs = ARGV[a], ARGV[a + 1] + 0, runAt, delayMs
  job.projectId, job.parentId, job.bodyRest, job.payloadJson = opt(ARGV[a + 2]), parentId, ARGV[a + 3], ARGV[a + 4]
  local iteration = 0
  if parentId then iteration = 1 end
  calendar.jitterMs = ARGV[a + 5] + 0
  quota.jobId, quota.runAt, quota.delayMs, quota.iteration, quota.idempotency = job.id, job.runAt, job.delayMs, iteration, idem
  local res = reserveQuota(T, quota, reserved)
  if res[1] == 'error' then
    out[#out + 1] = res
  else
    local seen = res[1] == 'seen'
    if seen then job.id = res[2] end
    local off = seen and 1 or 0
    admission.job, admission.runAt, admission.deferred, admission.fresh = job, res[2 + off], res[3 + off], not seen
    local reply = admitJob(admission)
    if reply[1] == 'error' and not seen then unreserveQuota(T, job.id, res[4], iteration, idem and idem.key or '') end
    local view = nil
    if ARGV[a + 6] == '1' and reply[1] ~= 'error' then
      -- Read here, in the same step, instead of three more calls after the submit.
      view = placeAndRunning(job.id, job.queue)
      for _, v in ipairs(usageToday(T, resetOffsetMs)) do view[#view + 1] = v end
    end
    if reply[1] == 'created' then
      local n, decided = #out, reply[3]
      out[n + 1], out[n + 2] = 'c', res[3 + off]
      for k = 1, 6 do out[n + 2 + k] = decided[k] end
      out[n + 9] = decided[7] or ''
      if view then
        for k = 1, 5 do out[n + 9 + k] = view[k] end
      end
    else
      reply[4] = view
      out[#out + 1] = reply
    end
  end
end
local handed = adm.handed
local readyBusy = adm.readyBusy or not adm.readyChecked
endAdmissions()
if not handoff then return out end
-- Slots the admitted jobs did not fill claim as the worker would have right after.
local claimed = {}
if handed < slots and readyBusy then
  claimed = claimJobs(queue, workerId, slots - handed, handoff.leaseMs, handoff.tokens, now(), handoff.from + handed)
end
return { out, claimed }
