--[[
  Records one delivery attempt's outcome if the lease is still held, and the
  subscription's failing streak (a success clears it, a failure starts it, a streak of
  disableAfterMs disables the subscription with the reason given).
  KEYS[1] the webhook slot's base. ARGV[2] id, ARGV[3] token, ARGV[4] status
  (delivered|pending|failed), ARGV[5] next attempt time ('' = none), ARGV[6] the
  attempt as JSON {at, responseCode, durationMs, error}, ARGV[7] '1' when a response
  excerpt follows, ARGV[8] the excerpt, ARGV[9] disableAfterMs, ARGV[10] the disable
  reason, ARGV[11] attempts kept in the history.
  Returns false when the lease is lost, else {the delivery's HGETALL, disabled 0|1}.
]]
local t = now()
local id, status = ARGV[2], ARGV[4]
local key = P .. ':d:' .. id
local d = redis.call('HMGET', key, 'status', 'lease_token', 'subscription_id', 'endpoint', 'history', 'created_at')
if d[1] ~= 'sending' or d[2] ~= ARGV[3] then return false end
local ep = d[4]
redis.call('ZREM', P .. ':fly:' .. ep, id)
local attempt = cjson.decode(ARGV[6])
local history = {}
if d[5] then history = cjson.decode(d[5]) end
history[#history + 1] = attempt
local keep = tonumber(ARGV[11])
while #history > keep do table.remove(history, 1) end
redis.call('HSET', key, 'status', status, 'last_attempt_at', I(attempt.at), 'duration_ms', I(attempt.durationMs),
  'history', cjson.encode(history))
redis.call('HDEL', key, 'lease_token', 'lease_until')
if attempt.responseCode ~= cjson.null then
  redis.call('HSET', key, 'response_code', I(attempt.responseCode))
else
  redis.call('HDEL', key, 'response_code')
end
if attempt.error ~= cjson.null then redis.call('HSET', key, 'error', attempt.error) else redis.call('HDEL', key, 'error') end
if ARGV[7] == '1' then redis.call('HSET', key, 'response', ARGV[8]) else redis.call('HDEL', key, 'response') end
if status == 'pending' then
  redis.call('HSET', key, 'next_attempt_at', ARGV[5])
  redis.call('ZADD', P .. ':due:' .. ep, ARGV[5], id)
  redis.call('SADD', P .. ':eps', ep)
else
  redis.call('HDEL', key, 'next_attempt_at')
  redis.call('ZADD', P .. ':age', d[6], id)
end
local disabled = 0
local record = redis.call('HGET', P .. ':subs', d[3])
if record then
  local s = cjson.decode(record)
  local changed = false
  if status == 'delivered' then
    if s.failingSince ~= cjson.null then s.failingSince, changed = cjson.null, true end
  else
    if s.failingSince == cjson.null then s.failingSince, changed = t, true end
    if s.enabled and t - s.failingSince >= tonumber(ARGV[9]) then
      s.enabled, s.disabledReason, changed, disabled = false, ARGV[10], true, 1
    end
  end
  if changed then redis.call('HSET', P .. ':subs', d[3], cjson.encode(s)) end
end
return { redis.call('HGETALL', key), disabled }
