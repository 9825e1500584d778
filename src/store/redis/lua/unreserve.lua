--[[
  Undo reserve.lua for an admit its queue refused (full, or a bad parent): give the
  quota back and forget the idempotency record if it still names this job.
  ARGV[2] jobId, ARGV[3] charged day, ARGV[4] iteration 0|1, ARGV[5] idempotency key ('' = none)
]]
local uk = P .. ':usage:' .. ARGV[3]
if redis.call('EXISTS', uk) == 1 then
  if redis.call('HINCRBY', uk, 'jobs', -1) < 0 then redis.call('HSET', uk, 'jobs', 0) end
  if ARGV[4] == '1' and redis.call('HINCRBY', uk, 'iterations', -1) < 0 then redis.call('HSET', uk, 'iterations', 0) end
end
if ARGV[5] ~= '' then
  local ik = P .. ':idem:' .. ARGV[5]
  if redis.call('HGET', ik, 'job') == ARGV[2] then redis.call('DEL', ik) end
end
return 1
