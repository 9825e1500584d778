--[[
  Record progress under a lease. ARGV[2] id, ARGV[3] token, ARGV[4] JSON {percent, stage, message}
  Returns the job, or {'error', code}.
]]
local job, err = holdsLease(ARGV[2], ARGV[3])
if not job then return { 'error', err } end
local p = cjson.decode(ARGV[4])
redis.call('HSET', jobKey(job.id), 'pp', p.percent)
if p.stage ~= cjson.null then redis.call('HSET', jobKey(job.id), 'ps', p.stage) else redis.call('HDEL', jobKey(job.id), 'ps') end
if p.message ~= cjson.null then redis.call('HSET', jobKey(job.id), 'pm', p.message) else redis.call('HDEL', jobKey(job.id), 'pm') end
return { 'ok', jobReply(job.id) }
