-- Removes the summaries and index entries of deleted traces (docs/search.md). Sent by RedisTraceCleanup after the
-- traces' keys are deleted, once per chunk.
--
-- KEYS[1..3]  profiler_idx:start, profiler_idx:duration, profiler_idx:error
-- KEYS[3+j]   the summary hash {osprofiler_opt:<base_id>}:summary of trace j
-- ARGV[j]     the base id of trace j
-- Returns     summaries removed
local call = redis.call
local removed = 0
for j = 1, #ARGV do
  local s, id = KEYS[3 + j], ARGV[j]
  for key in string.gmatch(call('HGET', s, 'terms') or '', '[^\n]+') do call('ZREM', key, id) end
  call('ZREM', KEYS[1], id)
  call('ZREM', KEYS[2], id)
  call('ZREM', KEYS[3], id)
  removed = removed + call('DEL', s)
end
return removed
