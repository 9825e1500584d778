--[[
  A queued job's estimated place in the fair claim order. ARGV[2] id.
  Returns the position, or -1 when the job is not queued.
]]
--@include position
return queuePosition(ARGV[2])
