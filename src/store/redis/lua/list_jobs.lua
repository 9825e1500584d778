--[[
  List one shard's jobs newest first. ARGV[2] JSON {queues, status?, type?, owner?, limit,
  cursor?: {ord (a string: Lua's tostring would round it), id}}: for each of the shard's
  queues it scans the most selective index (a status set, the owner's jobs, or all status
  sets), all scored by `ord` but the running set (scored by lease expiry: its jobs, as
  many as the queue's worker slots, are read and sorted by ord here), the owner's
  jobs (a list in creation order, see appendOwnerJobs) and the queued jobs (their
  groups', merged here, see scanQueued). The caller merges
  shards by (ord, id) descending, so the cursor resumes after (ord, id) in that order.
  Returns at most limit + 1 entries per index: {ord, job} pairs.
]]
local f = cjson.decode(ARGV[2])
local function nn(v) if v == cjson.null then return nil end return v end
local status, jtype, owner, cursor = nn(f.status), nn(f.type), nn(f.owner), nn(f.cursor)
local want = f.limit + 1
local out = {}
local STATUSES = { 'scheduled', 'queued', 'running', 'completed', 'failed', 'cancelled', 'awaiting_confirmation' }
-- Each index is {how, key or queue}.
local indexes = {}
local function statusIndex(queue, st)
  if st == 'queued' then return { 'queued', queue } end
  if st == 'running' then return { 'running', statusKey(queue, st) } end
  return { 'ord', statusKey(queue, st) }
end
for _, queue in ipairs(f.queues) do
  if status then indexes[#indexes + 1] = statusIndex(queue, status)
  elseif owner then indexes[#indexes + 1] = { 'owner', ownerJobsKey(queue, owner) }
  else
    -- All of a queue's jobs: its status sets together (no separate all-jobs index to keep).
    for _, st in ipairs(STATUSES) do indexes[#indexes + 1] = statusIndex(queue, st) end
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

--[[ A queue's queued jobs are its groups' members (see queuedDelta in common.lua). A
     group's set orders by priority band, then by seq, which grows with ord within a
     shard: each band of each group is a run of jobs in creation order. The runs are
     merged here newest first, each entered at the cursor by bisection, reading one job
     per step. ]]
local function scanQueued(queue)
  local c = cursor and tonumber(cursor.ord)
  local function before(ord, id) return not c or ord < c or (ord == c and id < cursor.id) end
  -- A run: {key, low rank, next rank to read (newest first), job there, its ord}.
  local runs = {}
  local function load(run)
    while run.at >= run.low do
      local id = redis.call('ZRANGE', run.key, I(run.at), I(run.at))[1]
      local job = id and getJob(id)
      if job then
        run.job, run.ord = job, tonumber(job.ord)
        return
      end
      run.at = run.at - 1
    end
    run.job = nil
  end
  for _, name in ipairs(redis.call('SMEMBERS', queueGroupsKey(queue))) do
    local key = namedGroupKey(queue, name)
    local high = redis.call('ZCARD', key) - 1
    local top = redis.call('ZRANGE', key, '-1', '-1', 'WITHSCORES')
    while top[2] do
      local band = math.floor(tonumber(top[2]) / SCORE_BASE)
      local low = high - redis.call('ZCOUNT', key, I(band * SCORE_BASE), '(' .. I((band + 1) * SCORE_BASE)) + 1
      -- The newest job of the band before the cursor: the band is in ord order by rank.
      local at, lo, hi = -1, low, high
      while lo <= hi do
        local mid = math.floor((lo + hi) / 2)
        local id = redis.call('ZRANGE', key, I(mid), I(mid))[1]
        if before(num(redis.call('HGET', jobKey(id), 'ord'), 0), id) then
          at, lo = mid, mid + 1
        else
          hi = mid - 1
        end
      end
      if at >= low then
        local run = { key = key, low = low, at = at }
        load(run)
        if run.job then runs[#runs + 1] = run end
      end
      high = low - 1
      top = high >= 0 and redis.call('ZRANGE', key, I(high), I(high), 'WITHSCORES') or {}
    end
  end
  local matched, scanned = 0, 0
  while matched < want and scanned < 20000 do
    local best = nil
    for _, run in ipairs(runs) do
      if run.job and (not best or run.ord > best.ord or (run.ord == best.ord and run.job.id > best.job.id)) then best = run end
    end
    if not best then return end
    scanned = scanned + 1
    if take(best.job.ord, best.job.id, best.job) then matched = matched + 1 end
    best.at = best.at - 1
    load(best)
  end
end

for _, index in ipairs(indexes) do
  local how, key = index[1], index[2]
  if how == 'queued' then scanQueued(key)
  elseif how == 'running' then scanRunning(key)
  elseif how == 'owner' then scanOwnerList(key)
  else scanByOrd(key) end
end
return out
