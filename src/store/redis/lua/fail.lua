--[[
  Fail an attempt under a lease: a scheduled retry while attempts remain (and the error
  is retryable and no cancel was asked), else failed (or cancelled when asked) with the
  error's `retryable` set to false: it will not be tried again.
  ARGV[2] id, ARGV[3] token, ARGV[4] error JSON, ARGV[5] retryable 0|1, ARGV[6] retry delay ms (-1 = none),
  ARGV[7] the worker holding it ('' = any)
]]
local job, err = holdsLease(ARGV[2], ARGV[3], ARGV[7])
if not job then return { 'error', err } end
local t = now()
local delay = tonumber(ARGV[6])
local retry = delay >= 0 and ARGV[5] == '1' and num(job.attempts, 0) < maxAttempts(job) and job.cancel_requested ~= '1'
if retry then
  releaseLease(job, 'failed', ARGV[4])
  setStatus(job, 'scheduled', t + delay, { 'run_at', t + delay, 'error', ARGV[4] })
else
  -- A job that ends here will not be tried again: its error says so, whatever the worker sent.
  local final = ARGV[4]
  if ARGV[5] == '1' then
    local e = cjson.decode(ARGV[4])
    e.retryable = false
    final = cjson.encode(e)
  end
  finish(job, job.cancel_requested == '1' and 'cancelled' or 'failed', { 'error', final }, t)
end
return { 'ok', flat(job) }
