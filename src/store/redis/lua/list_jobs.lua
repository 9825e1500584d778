--[[
  List one shard's jobs newest first. ARGV[2] JSON {queues, status?, type?, owner?, limit,
  cursor?: {ord (a string: Lua's tostring would round it), id}}: for each of the shard's
  queues it scans the most selective index (a status set, the owner's jobs, or all status
  sets), all scored by `ord` but the running set (scored by lease expiry: its jobs, as
  many as the queue's worker slots, are read and sorted by ord here) and the owner's
  jobs (a list in creation order, see appendOwnerJobs). The caller merges
  shards by (ord, id) descending, so the cursor resumes after (ord, id) in that order.
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
-- Serves a job if it comes after the cursor in (ord, id) descending order and passes the filters.
local function take(ord, id, job)
  if cursor then
    local o, c = tonumber(ord), tonumber(cursor.ord)
    if o > c or (o == c and id >= cursor.id) then return false end
  end
  if job and (not status or job.status == status) and (not jtype or cjson.decode(job.body)[2] == jtype)
    and (not owner or job.owner == owner) then
    out[#out + 1] = { ord, flat(job) }
    return true
  end
  return false
end

-- An index scored by ord, newest first from the cursor on.
local function scanByOrd(index)
  local max = '+inf'
  if cursor then max = cursor.ord end
  local matched, scanned = 0, 0
  while matched < want and scanned < 20000 do
    local ids = redis.call('ZREVRANGEBYSCORE', index, max, '-inf', 'WITHSCORES', 'LIMIT', '0', '200')
    if #ids == 0 then break end
    for k = 1, #ids, 2 do
      local id, ord = ids[k], ids[k + 1]
      max = '(' .. ord
      scanned = scanned + 1
      if take(ord, id, getJob(id)) then
        matched = matched + 1
        if matched >= want then return end
      end
    end
  end
end

-- The running set is scored by lease expiry (see setStatus): its jobs are read and sorted.
local function scanRunning(index)
  local rows = {}
  for _, id in ipairs(redis.call('ZRANGE', index, '0', '-1')) do
    local job = getJob(id)
    if job then rows[#rows + 1] = { tonumber(job.ord), id, job } end
  end
  table.sort(rows, function(a, b)
    if a[1] ~= b[1] then return a[1] > b[1] end
    return a[2] > b[2]
  end)
  local matched = 0
  for _, row in ipairs(rows) do
    if matched >= want then return end
    if take(row[3].ord, row[2], row[3]) then matched = matched + 1 end
  end
end

-- The owner's list, oldest first: the cursor's place is found by bisection on the jobs'
-- ords (each probe reads one list entry and one field), then it is read newest first.
local function ordAt(key, i)
  local id = redis.call('LINDEX', key, i)
  return num(redis.call('HGET', jobKey(id), 'ord'), 0), id
end
local function scanOwnerList(key)
  local last = redis.call('LLEN', key) - 1
  if cursor then
    -- The last entry before the cursor in (ord, id) order, or -1.
    local c, lo, hi = tonumber(cursor.ord), 0, last
    last = -1
    while lo <= hi do
      local mid = math.floor((lo + hi) / 2)
      local o, id = ordAt(key, mid)
      if o < c or (o == c and id < cursor.id) then
        last, lo = mid, mid + 1
      else
        hi = mid - 1
      end
    end
  end
  local matched, scanned = 0, 0
  while last >= 0 and matched < want and scanned < 20000 do
    local from = math.max(0, last - 199)
    local ids = redis.call('LRANGE', key, I(from), I(last))
    for k = #ids, 1, -1 do
      local id = ids[k]
      scanned = scanned + 1
      local job = getJob(id)
      if job and take(job.ord, id, job) then
        matched = matched + 1
        if matched >= want then return end
      end
    end
    last = from - 1
  end
end

local running, owned = {}, {}
for _, queue in ipairs(f.queues) do
  running[statusKey(queue, 'running')] = true
  if owner then owned[ownerJobsKey(queue, owner)] = true end
end
for _, index in ipairs(indexes) do
  if running[index] then scanRunning(index) elseif owned[index] then scanOwnerList(index) else scanByOrd(index) end
end
return out
