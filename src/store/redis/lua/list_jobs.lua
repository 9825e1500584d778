--[[
  List one shard's jobs newest first. ARGV[2] JSON {queues, status?, type?, owner?, limit,
  cursor?: {ord (a string: Lua's tostring would round it), id}}: for each of the shard's queues it scans the most selective index
  (status, owner or all jobs), all scored by `ord`. The caller merges shards by (ord, id)
  descending, so the cursor resumes after (ord, id) in that order.
  Returns at most limit + 1 entries per queue: {ord, job} pairs.
]]
local f = cjson.decode(ARGV[2])
local function nn(v) if v == cjson.null then return nil end return v end
local status, jtype, owner, cursor = nn(f.status), nn(f.type), nn(f.owner), nn(f.cursor)
local want = f.limit + 1
local out = {}
for _, queue in ipairs(f.queues) do
  local index
  if status then index = statusKey(queue, status)
  elseif owner then index = ownerJobsKey(queue, owner)
  else index = allKey(queue) end
  local max = '+inf'
  if cursor then max = cursor.ord end
  local matched, scanned = 0, 0
  while matched < want and scanned < 20000 do
    local ids = redis.call('ZREVRANGEBYSCORE', index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, 200)
    if #ids == 0 then break end
    for k = 1, #ids, 2 do
      local id, ord = ids[k], ids[k + 1]
      max = '(' .. ord
      scanned = scanned + 1
      -- Equal ords come in descending id order; those at or above the cursor's id were served.
      local after = not cursor or tonumber(ord) < tonumber(cursor.ord) or id < cursor.id
      if after then
        local job = getJob(id)
        if job and (not status or job.status == status) and (not jtype or job.type == jtype)
          and (not owner or job.owner == owner) then
          out[#out + 1] = { ord, jobReply(id) }
          matched = matched + 1
          if matched >= want then break end
        end
      end
    end
  end
end
return out
