--[[
  Give a lease back (graceful shutdown): queued again, the attempt not counted.
  ARGV[2] id, ARGV[3] token, ARGV[4] the worker holding it ('' = any)
]]
local job, err = holdsLease(ARGV[2], ARGV[3], ARGV[4])
if not job then return { 'error', err } end
releaseLease(job, 'released')
local attempts = math.max(num(job.attempts, 0) - 1, 0)
redis.call('HSET', jobKey(job.id), 'attempts', attempts)
redis.call('HDEL', jobKey(job.id), 'started_at')
enqueue(job)
return { 'ok', jobReply(job.id) }
