--[[
  Webhook side records that need the store's clock or a rule. KEYS[1] the webhook slot's base.
  ARGV[2] op:
  - 'mark' ARGV[3] name, ARGV[4] value: moves the named mark forward (never back); returns it.
  - 'callback' ARGV[3] job id, ARGV[4] url: registers a job's callback URL; returns 1.
]]
if ARGV[2] == 'mark' then
  local key = P .. ':marks'
  local current = tonumber(redis.call('HGET', key, ARGV[3]) or '')
  local value = tonumber(ARGV[4])
  if current == nil or value > current then redis.call('HSET', key, ARGV[3], ARGV[4]) return value end
  return current
end
redis.call('HSET', P .. ':cb', ARGV[3], ARGV[4])
redis.call('ZADD', P .. ':cbage', I(now()), ARGV[3])
return 1
