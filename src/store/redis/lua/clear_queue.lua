--[[
  Delete a queue's queued, scheduled and awaiting-confirmation jobs (at most ARGV[3]).
  ARGV[2] queue. Returns the removed jobs as they were.
]]
local queue, limit = ARGV[2], tonumber(ARGV[3])
local out, groups = {}, {}
for _, status in ipairs({ 'queued', 'scheduled', 'awaiting_confirmation' }) do
  local ids = redis.call('ZRANGE', statusKey(queue, status), 0, limit - #out - 1)
  for _, id in ipairs(ids) do
    local job = getJob(id)
    out[#out + 1] = jobReply(id)
    if status == 'queued' then groups[job.owner .. '|' .. job.project] = { job.owner, job.project } end
    removeJob(job)
  end
  if #out >= limit then break end
end
for _, g in pairs(groups) do refileGroup(queue, g[1], g[2]) end
return out
