-- Removes the summaries and index entries of deleted traces (docs/search.md). Sent by RedisTraceCleanup after the
-- traces' keys are deleted, once per chunk (on a cluster, once per hash slot of the chunk). Runs after
-- SummaryMerge.lua, which RedisScripts puts before it (zrem, writes).
--
-- ARGV[1]     where the index writes go: 'here' (a single server) or 'back' (a cluster: the index sets are in another slot)
-- ARGV[2..4]  the names of the start, duration and error indexes
-- KEYS[j]     the summary hash {osprofiler_opt:<base_id>}:summary of trace j
-- ARGV[4+j]   the base id of trace j
-- Returns     'here': summaries removed. 'back': { summaries removed, index writes } with the index writes as in
--             SummaryMerge.lua, ('r', set, '', base id) for each set the trace was in.
local idx = { here = ARGV[1] == 'here', start = ARGV[2], duration = ARGV[3], error = ARGV[4] }
local removed = 0
for j = 1, #KEYS do
  local s, id = KEYS[j], ARGV[4 + j]
  for key in gmatch(call('HGET', s, 'terms') or '', '[^\n]+') do zrem(idx, key, id) end
  zrem(idx, idx.start, id)
  zrem(idx, idx.duration, id)
  zrem(idx, idx.error, id)
  removed = removed + call('DEL', s)
end
if idx.here then return removed end
return { removed, writes }
