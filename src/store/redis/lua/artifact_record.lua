--[[
  Record an uploaded artifact under the job's current lease (store/artifact-meta.ts).
  ARGV[2] job id, ARGV[3] lease token, ARGV[4] name, ARGV[5] size, ARGV[6] content type,
  ARGV[7] sha256, ARGV[8] blob key, ARGV[9] the job's byte limit ('' = none).
  Keys in the job's slot: artifactsKey(id) (a hash, name -> record JSON) and the slot's
  artifactJobsKey (a set of job ids with records, for the sweep).
  Returns {'ok', createdAt, replaced record JSON or ''} or {'error', code, used bytes}.
]]
local id, token, name = ARGV[2], ARGV[3], ARGV[4]
local size = tonumber(ARGV[5])
local state = redis.call('HMGET', jobKey(id), 'status', 'lease_token')
if not state[1] then return { 'error', 'not_found' } end
if state[1] ~= 'running' or state[2] ~= token then return { 'error', 'lease_lost' } end
local key = artifactsKey(id)
local replaced = redis.call('HGET', key, name)
if ARGV[9] ~= '' then
  -- The job's other artifacts plus this one: a replaced one no longer counts.
  local used = 0
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    if all[i] ~= name then used = used + cjson.decode(all[i + 1]).size end
  end
  if used + size > tonumber(ARGV[9]) then return { 'error', 'too_large', I(used) } end
end
local t = now()
redis.call('HSET', key, name, cjson.encode({
  jobId = id, name = name, size = size, contentType = ARGV[6], sha256 = ARGV[7],
  blobKey = ARGV[8], createdAt = t,
}))
redis.call('SADD', artifactJobsKey(), id)
return { 'ok', I(t), replaced or '' }
