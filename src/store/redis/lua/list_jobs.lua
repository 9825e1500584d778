--[[
  List one shard's jobs newest first. ARGV[2] JSON {queues, status?, type?, owner?, limit,
  cursor?: {ord (a string: Lua's tostring would round it), id}}: for each of the shard's
  queues it scans the most selective index (a status set, the owner's jobs, or all status
  sets), all scored by `ord`. The caller merges shards by (ord, id)
  descending, so the cursor resumes after (ord, id) in that order.
  Returns at most limit + 1 entries per index: {ord, job} pairs.
]]
local f = cjson.decode(ARGV[2])
local function nn(v) if v == cjson.null then return nil end return v end
local status, jtype, owner, cursor = nn(f.status), nn(f.type), nn(f.owner), nn(f.cursor)
local want = f.limit + 1
local out = {}
local STATUSES = { 'scheduled', 'queued', 'running', 'completed', 'failed', 'cancelled', 'awaiting_confirmation' }
local indexes = {}
for _, queue in ipairs(f.queues) do
  if status then indexes[#indexes + 1] = statusKey(queue, status)
  elseif owner then indexes[#indexes + 1] = ownerJobsKey(queue, owner)
  else
    -- All of a queue's jobs: its status sets together (no separate all-jobs index to keep).
    for _, st in ipairs(STATUSES) do indexes[#indexes + 1] = statusKey(queue, st) end
  end
end
for _, index in ipairs(indexes) do
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
          out[#out + 1] = { ord, flat(job) }
          matched = matched + 1
          if matched >= want then break end
        end
      end
    end
  end
end
return out
