--[[
  Undo reserve.lua for an admit its queue refused (full, or a bad parent), in the
  tenant's slot. ARGV[2] jobId, ARGV[3] charged day, ARGV[4] iteration 0|1,
  ARGV[5] idempotency key ('' = none)
]]
--@include admission
unreserveQuota(P, ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5])
return 1
