-- Deletes a small batch (at most 100) of traces a prune found old, unless pinned meanwhile or written to since they
-- were read. Sent by RedisTracePruning once per batch; each trace costs a SISMEMBER, an LLEN and a DEL.
--
-- KEYS[1]        the pinned set, profiler_pinned
-- KEYS[2j]       osprofiler_opt:<base_id> of trace j (j = 1..n)
-- KEYS[2j+1]     osprofiler_error:<base_id> of trace j
-- ARGV[2j-1]     the base id of trace j
-- ARGV[2j]       the list's length when its newest point was read; a longer (or shorter) list is kept
-- Returns        { traces deleted, points deleted }
--
-- A deleted trace's summary ({osprofiler_opt:<base_id>}:summary, in the list's slot) and its search index entries
-- (docs/search.md) go with it.
local call = redis.call
local pinned = KEYS[1]
local traces, points = 0, 0
for j = 1, (#KEYS - 1) / 2 do
  local list, id, expected = KEYS[2 * j], ARGV[2 * j - 1], tonumber(ARGV[2 * j])
  if call('SISMEMBER', pinned, id) == 0 then
    local length = call('LLEN', list)
    if length == expected then
      call('DEL', list, KEYS[2 * j + 1])
      local summary = '{' .. list .. '}:summary'
      for key in string.gmatch(call('HGET', summary, 'terms') or '', '[^\n]+') do call('ZREM', key, id) end
      call('ZREM', 'profiler_idx:start', id)
      call('ZREM', 'profiler_idx:duration', id)
      call('ZREM', 'profiler_idx:error', id)
      call('DEL', summary)
      traces = traces + 1
      points = points + length
    end
  end
end
return { traces, points }
