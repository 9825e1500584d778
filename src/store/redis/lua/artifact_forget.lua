--[[
  Forget artifact records whose bytes were deleted (store/artifact-meta.ts), each only
  while it still names the same blob key. ARGV[2+3k] job id, ARGV[3+3k] name,
  ARGV[4+3k] blob key; every job in this call's slot. Returns how many went.
]]
local removed = 0
for k = 2, #ARGV, 3 do
  local id, name, blobKey = ARGV[k], ARGV[k + 1], ARGV[k + 2]
  local key = artifactsKey(id)
  local record = redis.call('HGET', key, name)
  if record and cjson.decode(record).blobKey == blobKey then
    redis.call('HDEL', key, name)
    removed = removed + 1
  end
  if redis.call('EXISTS', key) == 0 then redis.call('SREM', artifactJobsKey(), id) end
end
return removed
