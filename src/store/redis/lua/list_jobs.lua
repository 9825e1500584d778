--[[
  List jobs newest first. ARGV[2] JSON {status?, queue?, type?, owner?, limit, cursor?(seq)}
  Scans the most selective index (per queue when no queue is given, merged by seq);
  returns {jobs, next seq or ''} with at most limit jobs.
]]
local f = cjson.decode(ARGV[2])
local function nn(v) if v == cjson.null then return nil end return v end
local status, queue, jtype, owner = nn(f.status), nn(f.queue), nn(f.type), nn(f.owner)
local indexes = {}
if queue and status then indexes = { P .. ':qs:' .. queue .. ':' .. status }
elseif queue then indexes = { P .. ':qa:' .. queue }
elseif owner then indexes = { P .. ':oa:' .. owner }
else
  for _, q in ipairs(redis.call('SMEMBERS', P .. ':queues')) do
    if status then indexes[#indexes + 1] = P .. ':qs:' .. q .. ':' .. status else indexes[#indexes + 1] = P .. ':qa:' .. q end
  end
end
local want = f.limit + 1
local found = {}
for _, index in ipairs(indexes) do
  local max = '+inf'
  if nn(f.cursor) then max = '(' .. f.cursor end
  local matched, scanned = 0, 0
  while matched < want and scanned < 20000 do
    local ids = redis.call('ZREVRANGEBYSCORE', index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, 200)
    if #ids == 0 then break end
    for k = 1, #ids, 2 do
      local id, seq = ids[k], tonumber(ids[k + 1])
      max = '(' .. ids[k + 1]
      scanned = scanned + 1
      local job = getJob(id)
      if job and (not status or job.status == status) and (not queue or job.queue == queue)
        and (not jtype or job.type == jtype) and (not owner or job.owner == owner) then
        found[#found + 1] = { seq, id }
        matched = matched + 1
        if matched >= want then break end
      end
    end
  end
end
table.sort(found, function(a, b) return a[1] > b[1] end)
local out = {}
for k = 1, math.min(f.limit, #found) do out[k] = jobReply(found[k][2]) end
if #found > f.limit then return { out, tostring(found[f.limit][1]) } end
return { out, '' }
