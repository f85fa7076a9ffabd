-- Summarises traces another writer stored (OSProfiler's), from digests of their points read by RedisSearch: when it
-- catches up (mode 'absent': only traces without a summary) and on reindex ('replace'). Runs after SummaryMerge.lua,
-- which RedisScripts puts before it (merge, restate, writes).
--
-- ARGV[1..7] ttl seconds (0: none), mode ('absent' | 'replace'), number of traces, where the index writes go ('here' on
--            a single server | 'back' on a cluster), and the names of the start, duration and error indexes
-- KEYS[1]    ('here' only) the pinned set
-- then per trace, in order:
--   KEYS     its summary hash {osprofiler_opt:<base_id>}:summary (the trace list's slot); ('back' only) its pin mark
--            {osprofiler_opt:<base_id>}:pinned
--   ARGV     base id, start µs ('' for none), start text, stop µs, root, operations, points, error (0|1), services
--            (joined by newlines), the names of its term sets (joined by newlines)
-- Returns    'here': the summaries written. 'back': { summaries written, index writes } (see SummaryMerge.lua), every
--            trace's whole index state: on a cluster the index sets live in another slot, which this script never touches.
local ttl, mode, n = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local idx = { here = ARGV[4] == 'here', start = ARGV[5], duration = ARGV[6], error = ARGV[7] }
local k, a, written = 1, 8, 0
local pinnedSet = nil
if idx.here then pinnedSet = KEYS[1]; k = 2 end
-- The loop runs under pcall, so that the index additions gathered for the traces before a failing one are sent
-- (flush, 'here') as their own ZADDs would have been; the failure is raised after, as it was.
local ok, failure = pcall(function()
  for _ = 1, n do
    local s, id = KEYS[k], ARGV[a]
    local mark = nil
    if idx.here then k = k + 1 else mark = KEYS[k + 1]; k = k + 2 end
    local digest = a + 1
    a = a + 10
    local function pinned()
      if idx.here then return call('SISMEMBER', pinnedSet, id) == 1 end
      return call('EXISTS', mark) == 1
    end
    local w = merge(s, id, digest, mode, ttl, pinned, idx)
    written = written + w
    if w == 0 and not idx.here then restate(s, id, idx) end
  end
end)
if idx.here then flush() end
if not ok then error(failure, 0) end
if idx.here then return written end
return { written, writes }
