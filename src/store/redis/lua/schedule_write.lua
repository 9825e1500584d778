--[[
  Create, replace or change a schedule (store/schedule-store.ts). KEYS[1] the schedules
  slot "<prefix>:{s}". ARGV[2] name; ARGV[3] mode: "create" (refused when it exists),
  "upsert", or "update" (nothing when it does not exist); ARGV[4..] field/value pairs of
  the definition, "" for a null (the field is removed).
  Returns the schedule's fields (HGETALL), {'error', 'schedule_exists'}, or false when an
  update found no schedule. A new schedule's lastTick is now; so is that of a schedule
  that goes from disabled to enabled (the ticks of a pause are not made up).
]]
local key = P .. ':sch:' .. ARGV[2]
local mode = ARGV[3]
local exists = redis.call('EXISTS', key) == 1
if mode == 'create' and exists then return { 'error', 'schedule_exists' } end
if mode == 'update' and not exists then return false end
local t = I(now())
local wasEnabled = redis.call('HGET', key, 'enabled')
local enabled = wasEnabled
for i = 4, #ARGV, 2 do
  local field, value = ARGV[i], ARGV[i + 1]
  if value == '' then
    redis.call('HDEL', key, field)
  else
    redis.call('HSET', key, field, value)
    if field == 'enabled' then enabled = value end
  end
end
redis.call('HSET', key, 'name', ARGV[2], 'updatedAt', t)
if not exists then
  redis.call('HSET', key, 'createdAt', t, 'lastTick', t)
  redis.call('SADD', P .. ':schedules', ARGV[2])
elseif wasEnabled == '0' and enabled == '1' then
  local last = redis.call('HGET', key, 'lastTick')
  if not last or last + 0 < now() then redis.call('HSET', key, 'lastTick', t) end
end
return redis.call('HGETALL', key)
