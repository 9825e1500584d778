--[[
  Deletes a schedule. KEYS[1] the schedules slot "<prefix>:{s}". ARGV[2] name.
  Returns 1, or 0 when there is no such schedule.
]]
redis.call('SREM', P .. ':schedules', ARGV[2])
return redis.call('DEL', P .. ':sch:' .. ARGV[2])
