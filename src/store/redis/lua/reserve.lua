--[[
  The tenant half of an admission, in the owner's own slot: the idempotency record and
  the daily quota, which span queues. Runs before admit.lua; unreserve.lua undoes it when
  the admit is refused.
  ARGV[2]: JSON {jobId, queue, runAt?, delayMs?, dailyJobs?, iteration 0|1, calendar, idempotency?}
  Returns {'ok', runAt, deferred 0|1, chargedDay}
        | {'seen', jobId, runAt, deferred, chargedDay} (same key and body: no new charge)
        | {'error', code}
]]
local r = cjson.decode(ARGV[2])
local function nn(v) if v == cjson.null then return nil end return v end
local cal, idem = r.calendar, nn(r.idempotency)
local t = now()
local DAY = 86400000

local ik
if idem then
  ik = P .. ':idem:' .. idem.key
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
    if num(redis.call('HGET', P .. ':usage:' .. day, 'jobs'), 0) < daily then
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
local uk = P .. ':usage:' .. charged
if redis.call('HINCRBY', uk, 'jobs', 1) == 1 then
  -- Kept until two days after the day it counts, so quota never resets early.
  redis.call('PEXPIRE', uk, math.max(1, (charged + 3) * DAY + cal.resetOffsetMs - t))
end
if r.iteration == 1 then redis.call('HINCRBY', uk, 'iterations', 1) end

if ik then
  redis.call('DEL', ik)
  redis.call('HSET', ik, 'fp', idem.fingerprint, 'job', r.jobId, 'exp', t + idem.ttlMs, 'run_at', runAt,
    'deferred', deferred, 'day', charged)
  redis.call('PEXPIRE', ik, idem.ttlMs + 60000)
end
return { 'ok', runAt, deferred, charged }
