--[[ A queued job's estimated place in the fair claim order (see sqlite/queue-position.ts
     for the method): 1-based, or -1 when the job is not queued. ]]
local function queuePosition(id)
  local job = getJob(id)
  if not job or job.status ~= 'queued' then return -1 end
  local queue, owner, project = job.queue, job.owner, job.project
  local gscore = tonumber(job.gs)
  local eff = math.floor(gscore / SCORE_BASE) - 20
  local ownAhead = redis.call('ZCOUNT', groupKey(queue, owner, project), '-inf', '(' .. job.gs)
  local g = readGroup(queue, owner, project)
  if not g.gid then return ownAhead + 1 end
  local myKey = tonumber(g.vstart) + ownAhead + eff * aging()
  local ahead = ownAhead
  local others = redis.call('ZRANGEBYSCORE', readyKey(queue), '-inf', myKey, 'WITHSCORES')
  for k = 1, #others, 2 do
    local member, hk = others[k], tonumber(others[k + 1])
    local gid = tonumber(string.sub(member, 1, 12))
    if gid ~= tonumber(g.gid) then
      local rest = string.sub(member, 14)
      local sep = string.find(rest, '|', 1, true)
      local turns = math.floor(myKey - hk)
      if gid < tonumber(g.gid) then turns = turns + 1 end
      if turns > 0 then
        local n = redis.call('ZCARD', groupKey(queue, string.sub(rest, 1, sep - 1), string.sub(rest, sep + 1)))
        ahead = ahead + math.min(turns, n)
      end
    end
    if ahead >= 100000 then break end
  end
  return ahead + 1
end

-- A submitted job's place and its queue's running count, for a submit's answer (the queue
-- half of an AdmitView): {position or -1, running}.
local function placeAndRunning(id, queue)
  return { queuePosition(id), redis.call('ZCARD', statusKey(queue, 'running')) }
end
