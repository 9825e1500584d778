--[[
  Token bucket. ARGV[2] key, ARGV[3] capacity, ARGV[4] ms to refill one token.
  Returns {allowed 0|1, whole tokens left, reset ms}.
]]
local key, capacity, refillMs = P .. ':rate:' .. ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local t = now()
local b = toTable(redis.call('HGETALL', key))
local available = capacity
if b.tokens then available = math.min(capacity, tonumber(b.tokens) + math.max(0, t - tonumber(b.updated)) / refillMs) end
local allowed = available >= 1
local tokens = available
if allowed then tokens = available - 1 end
redis.call('HSET', key, 'tokens', tostring(tokens), 'updated', t)
redis.call('PEXPIRE', key, math.ceil(capacity * refillMs) + 60000)
local reset
if allowed then reset = math.ceil((capacity - tokens) * refillMs) else reset = math.ceil((1 - tokens) * refillMs) end
if allowed then return { 1, math.floor(tokens), reset } end
return { 0, math.floor(tokens), reset }
