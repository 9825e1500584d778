--[[
  Admit one job into its queue's shard, after reserve.lua charged the owner's quota in
  the tenant's own slot and decided when it runs (the cluster path; see admission.lua).
  ARGV[2]: JSON {job, limits, runAt, deferred}
]]
--@include admission
return admitJob(cjson.decode(ARGV[2]))
