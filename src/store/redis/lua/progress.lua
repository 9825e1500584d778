--[[
  Record progress under a lease. ARGV[2] id, ARGV[3] token, ARGV[4] JSON {percent, stage, message},
  ARGV[5] the worker holding it ('' = any). Returns the job, or {'error', code}.
]]
local job, err = holdsLease(ARGV[2], ARGV[3], ARGV[5])
if not job then return { 'error', err } end
local p = cjson.decode(ARGV[4])
local set, unset = { 'pp', p.percent }, {}
job.pp = p.percent
for field, value in pairs({ ps = p.stage, pm = p.message }) do
  if value ~= cjson.null then
    set[#set + 1] = field
    set[#set + 1] = value
    job[field] = value
  else
    unset[#unset + 1] = field
    job[field] = nil
  end
end
redis.call('HSET', jobKey(job.id), unpack(set))
if #unset > 0 then redis.call('HDEL', jobKey(job.id), unpack(unset)) end
return { 'ok', flat(job) }
