--[[
  Delete a finished (completed, failed or cancelled) job and its index entries.
  ARGV[2] id, ARGV[3] owner ('' = any). Returns {'ok', job} (as it was) or
  {'error', code, status}.
]]
local job = getJob(ARGV[2])
if not job or (ARGV[3] ~= '' and job.owner ~= ARGV[3]) then return { 'error', 'not_found', '' } end
if not TERMINAL[job.status] then return { 'error', 'illegal', job.status } end
local reply = jobReply(job.id)
removeJob(job)
return { 'ok', reply }
