--[[
  Admit one job into its queue's shard, after reserve.lua charged the owner's quota in
  the tenant's own slot and decided when it runs (the cluster path; see admission.lua).
  ARGV[2]: JSON {job, limits, runAt, deferred, view?}. With view, a created or repeated
  job's reply ends with {position or -1, running in the queue}.
]]
--@include admission
--@include position
local r = denull(cjson.decode(ARGV[2]))
startAdmissions()
local reply = admitJob(r)
endAdmissions()
if r.view and reply[1] ~= 'error' then
  reply[4] = placeAndRunning(r.job.id, r.job.queue)
end
return reply
