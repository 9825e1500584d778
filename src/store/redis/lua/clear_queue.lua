--[[
  Delete a queue's queued, scheduled and awaiting-confirmation jobs (at most ARGV[3]).
  ARGV[2] queue. Returns the removed jobs as they were.
]]
local queue, limit = ARGV[2], tonumber(ARGV[3])
local out, groups = {}, {}
local function remove(ids)
  for _, id in ipairs(ids) do
    local job = getJob(id)
    out[#out + 1] = jobReply(id)
    if job.status == 'queued' then groups[groupName(job.owner, job.project)] = { job.owner, job.project } end
    removeJob(job)
  end
end
-- Queued jobs are their groups' members (see queuedDelta).
for _, name in ipairs(redis.call('SMEMBERS', queueGroupsKey(queue))) do
  if #out >= limit then break end
  remove(redis.call('ZRANGE', namedGroupKey(queue, name), 0, limit - #out - 1))
end
for _, status in ipairs({ 'scheduled', 'awaiting_confirmation' }) do
  if #out >= limit then break end
  remove(redis.call('ZRANGE', statusKey(queue, status), 0, limit - #out - 1))
end
for _, g in pairs(groups) do refileGroup(queue, g[1], g[2]) end
return out
