--[[
  List one shard's jobs newest first. ARGV[2] JSON {queues, status?, type?, owner?, idPrefix?, limit,
  cursor?: {ord (a string: Lua's tostring would round it), id, seq?}}: for each of the shard's
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
local idPrefix = nn(f.idPrefix)
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
    and (not owner or job.owner == owner) and (not idPrefix or string.sub(id, 1, #idPrefix) == idPrefix) then
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
     group's set orders by priority band, then by seq, the shard's admission counter,
     which grows with ord: seq order is creation order within a shard. The groups' jobs
     are merged here by seq, newest first: a small group read whole, a large one band by
     band (each band is in seq order), a window at a time. cursor.seq is this shard's
     bound: the seq of the last job of this shard the listing served (see list in
     redis-store.ts); every job older than the cursor is below it, so only the window
     under it is read, whatever the page's depth. ]]
local SMALL_GROUP = 64
local function scanQueued(queue)
  local bound = (cursor and tonumber(cursor.seq)) or SCORE_BASE
  -- A run: seqs and ids read so far, newest first (parallel lists: a table per job cost
  -- more than the rest of a small group's read), `at` the next to serve; for a band of a
  -- large group, where to read its next window.
  local function window(run)
    local flat = redis.call('ZREVRANGEBYSCORE', run.key, '(' .. I(run.base + run.below), I(run.base), 'WITHSCORES', 'LIMIT',
      '0', I(want))
    local seqs, ids = {}, {}
    for k = 1, #flat, 2 do
      seqs[#seqs + 1] = tonumber(flat[k + 1]) - run.base
      ids[#ids + 1] = flat[k]
    end
    run.seqs, run.ids, run.at = seqs, ids, 1
    run.more = #seqs == want
    if run.more then run.below = seqs[#seqs] end
    return seqs[1] ~= nil
  end
  local runs = {}
  for _, name in ipairs(redis.call('SMEMBERS', queueGroupsKey(queue))) do
    local key = namedGroupKey(queue, name)
    local flat = redis.call('ZRANGE', key, '0', I(SMALL_GROUP), 'WITHSCORES')
    local n = #flat
    if n > 0 and n <= 2 * SMALL_GROUP then
      local seqs, ids = {}, {}
      local low = math.floor(tonumber(flat[2]) / SCORE_BASE)
      if low == math.floor(tonumber(flat[n]) / SCORE_BASE) then
        -- One band: score order is seq order.
        local base = low * SCORE_BASE
        for k = n - 1, 1, -2 do
          local seq = tonumber(flat[k + 1]) - base
          if seq < bound then
            seqs[#seqs + 1] = seq
            ids[#ids + 1] = flat[k]
          end
        end
      else
        local items = {}
        for k = 1, n, 2 do
          local seq = tonumber(flat[k + 1]) % SCORE_BASE
          if seq < bound then items[#items + 1] = { seq, flat[k] } end
        end
        table.sort(items, function(a, b) return a[1] > b[1] end)
        for k, item in ipairs(items) do seqs[k], ids[k] = item[1], item[2] end
      end
      if seqs[1] then runs[#runs + 1] = { seqs = seqs, ids = ids, at = 1 } end
    elseif n > 0 then
      local top = redis.call('ZRANGE', key, '-1', '-1', 'WITHSCORES')[2]
      while top do
        local base = math.floor(tonumber(top) / SCORE_BASE) * SCORE_BASE
        local run = { key = key, base = base, below = bound }
        if window(run) then runs[#runs + 1] = run end
        top = redis.call('ZREVRANGEBYSCORE', key, '(' .. I(base), '-inf', 'WITHSCORES', 'LIMIT', '0', '1')[2]
      end
    end
  end
  -- The runs in a max-heap by the seq of their next job.
  local heap = runs
  local function head(run) return run.seqs[run.at] end
  local function sift(i)
    local size = #heap
    while true do
      local l, r, top = 2 * i, 2 * i + 1, i
      if l <= size and head(heap[l]) > head(heap[top]) then top = l end
      if r <= size and head(heap[r]) > head(heap[top]) then top = r end
      if top == i then return end
      heap[i], heap[top] = heap[top], heap[i]
      i = top
    end
  end
  for i = math.floor(#heap / 2), 1, -1 do sift(i) end
  local matched, scanned = 0, 0
  while matched < want and scanned < 20000 and heap[1] do
    local run = heap[1]
    local id = run.ids[run.at]
    run.at = run.at + 1
    if not run.seqs[run.at] and not (run.more and window(run)) then
      heap[1] = heap[#heap]
      heap[#heap] = nil
    end
    if heap[1] then sift(1) end
    scanned = scanned + 1
    local job = getJob(id)
    if job and take(job.ord, id, job) then matched = matched + 1 end
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
