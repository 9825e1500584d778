--[[
  List jobs newest first. ARGV[2] JSON {status?, queue?, type?, owner?, limit, cursor?(seq)}
  Scans the most selective index; returns {jobs..., next seq or ''} with at most limit jobs.
]]
local f = cjson.decode(ARGV[2])
local function nn(v) if v == cjson.null then return nil end return v end
local status, queue, jtype, owner = nn(f.status), nn(f.queue), nn(f.type), nn(f.owner)
local index
if status and queue then index = P .. ':qs:' .. queue .. ':' .. status
elseif queue then index = P .. ':qa:' .. queue
elseif owner then index = P .. ':oa:' .. owner
elseif status then index = P .. ':st:' .. status
else index = P .. ':all' end
local max = '+inf'
if nn(f.cursor) then max = '(' .. f.cursor end
local out, lastSeq, scanned = {}, nil, 0
local chunk = 200
while #out <= f.limit and scanned < 20000 do
  local ids = redis.call('ZREVRANGEBYSCORE', index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, chunk)
  if #ids == 0 then break end
  for k = 1, #ids, 2 do
    local id, seq = ids[k], ids[k + 1]
    max = '(' .. seq
    scanned = scanned + 1
    local job = getJob(id)
    if job and (not status or job.status == status) and (not queue or job.queue == queue)
      and (not jtype or job.type == jtype) and (not owner or job.owner == owner) then
      if #out < f.limit then
        out[#out + 1] = jobReply(id)
        lastSeq = seq
      else
        return { out, lastSeq }
      end
    end
  end
end
return { out, '' }
