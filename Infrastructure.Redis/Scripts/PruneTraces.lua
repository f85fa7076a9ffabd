-- Deletes a small batch (at most 100) of traces a prune found old, unless pinned meanwhile or written to since they
-- were read. Sent by RedisTraceLifecycle once per batch (on a cluster, once per hash slot of the batch); each trace
-- costs a SISMEMBER (or EXISTS), an LLEN and a DEL.
--
-- ARGV[1]        how a pin is known: 'set' (a single server) or 'mark' (a cluster)
-- ARGV[2j]       the base id of trace j (j = 1..n)
-- ARGV[2j+1]     the list's length when its newest point was read; a longer (or shorter) list is kept
-- 'set':  KEYS[1] the pinned set, profiler_pinned; KEYS[2j], KEYS[2j+1] osprofiler_opt:<base_id> and
--         osprofiler_error:<base_id> of trace j. A deleted trace's summary ({osprofiler_opt:<base_id>}:summary, in the
--         list's slot) and its search index entries (docs/search.md, the indexes named in ARGV after the pairs: start,
--         duration, error) go with it.
--         Returns { traces deleted, points deleted }
-- 'mark': KEYS[2j-1], KEYS[2j] osprofiler_opt:<base_id> and its pin mark {osprofiler_opt:<base_id>}:pinned, all of one
--         slot. Only the list goes: the caller deletes the error record, the summary and the index entries (other slots).
--         Returns { traces deleted, points deleted, { base ids deleted } }
local call = redis.call
local marks = ARGV[1] == 'mark'
local traces, points, deleted = 0, 0, {}
local n = 0
if marks then n = #KEYS / 2 else n = (#KEYS - 1) / 2 end
for j = 1, n do
  local id, expected = ARGV[2 * j], tonumber(ARGV[2 * j + 1])
  local list, pinned
  if marks then
    list = KEYS[2 * j - 1]
    pinned = call('EXISTS', KEYS[2 * j]) == 1
  else
    list = KEYS[2 * j]
    pinned = call('SISMEMBER', KEYS[1], id) == 1
  end
  if not pinned then
    local length = call('LLEN', list)
    if length == expected then
      if marks then
        call('DEL', list)
        deleted[#deleted + 1] = id
      else
        call('DEL', list, KEYS[2 * j + 1])
        local summary = '{' .. list .. '}:summary'
        for key in string.gmatch(call('HGET', summary, 'terms') or '', '[^\n]+') do call('ZREM', key, id) end
        for i = 2 * n + 2, 2 * n + 4 do call('ZREM', ARGV[i], id) end
        call('DEL', summary)
      end
      traces = traces + 1
      points = points + length
    end
  end
end
if marks then return { traces, points, deleted } end
return { traces, points }
