-- Removes the summaries and index entries of deleted traces (docs/search.md). Sent by RedisTraceCleanup after the
-- traces' keys are deleted, once per chunk (on a cluster, once per hash slot of the chunk).
--
-- ARGV[1]     where the index writes go: 'here' (a single server) or 'back' (a cluster: the index sets are in another slot)
-- ARGV[2..4]  the names of the start, duration and error indexes
-- KEYS[j]     the summary hash {osprofiler_opt:<base_id>}:summary of trace j
-- ARGV[4+j]   the base id of trace j
-- Returns     'here': summaries removed. 'back': { summaries removed, index writes } with the index writes as in
--             Summarise.lua, ('r', set, '', base id) for each set the trace was in.
local call = redis.call
local here = ARGV[1] == 'here'
local indexes = { ARGV[2], ARGV[3], ARGV[4] }
local removed, writes = 0, {}
local function zrem(key, id)
  if here then call('ZREM', key, id) else
    writes[#writes + 1] = 'r'; writes[#writes + 1] = key; writes[#writes + 1] = ''; writes[#writes + 1] = id
  end
end
for j = 1, #KEYS do
  local s, id = KEYS[j], ARGV[4 + j]
  for key in string.gmatch(call('HGET', s, 'terms') or '', '[^\n]+') do zrem(key, id) end
  for _, key in ipairs(indexes) do zrem(key, id) end
  removed = removed + call('DEL', s)
end
if here then return removed end
return { removed, writes }
