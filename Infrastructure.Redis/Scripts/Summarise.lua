-- Merges trace digests into their summaries and the search indexes (docs/search.md). Sent by RedisTraceWriter once
-- per write, in the same pipelined batch as the points (after them), for every trace of the write; and by RedisSearch
-- for traces another writer stored.
--
-- KEYS[1..4] profiler_idx:start (base id -> start, µs since the epoch), profiler_idx:duration (-> µs),
--            profiler_idx:error (failed traces -> start), profiler_pinned
-- ARGV[1..3] ttl seconds (0: none), mode ('merge' | 'absent' | 'replace'), number of traces
-- then per trace, in order:
--   KEYS     its summary hash {osprofiler_opt:<base_id>}:summary (the trace list's slot), then its term sets
--            profiler_idx:<s|p|h|n>:<value> (base id -> start)
--            and, when the claim flag is 1, before the term sets: the write's batch key {osprofiler_opt:<base_id>}:batch:<id>
--   ARGV     base id, start µs ('' for none), start text, stop µs, root, operations, points, error (0|1),
--            services (joined by newlines), number of term sets, claim flag (1: merge only if this write stored the
--            points, i.e. WriteTrace.lua left the batch key at 'new'; it is set to 'done' so a retry merges nothing)
-- Returns    the summaries written (mode 'absent' skips traces that have one).
--
-- Each hash keeps the trace's term keys (field terms), so that a delete or a prune removes every index entry, and a
-- start that moves earlier re-scores every set the trace is in.
local call = redis.call
local ttl, mode, n = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local startIdx, durationIdx, errorIdx, pinned = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local k, a, written = 5, 4, 0
for _ = 1, n do
  local s, id = KEYS[k], ARGV[a]
  local start, ts, stop, root = tonumber(ARGV[a + 1]), ARGV[a + 2], tonumber(ARGV[a + 3]), ARGV[a + 4]
  local ops, points, err = tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6]), tonumber(ARGV[a + 7])
  local serviceList, termCount, claim = ARGV[a + 8], tonumber(ARGV[a + 9]), tonumber(ARGV[a + 10])
  local claimed = true
  if claim == 1 then
    -- XX: a batch key this write did not set (the write script was refused) is left alone and nothing is merged.
    claimed = call('SET', KEYS[k + 1], 'done', 'XX', 'KEEPTTL', 'GET') == 'new'
    k = k + 1
  end
  local terms, seen = {}, {}
  for t = k + 1, k + termCount do
    if not seen[KEYS[t]] then seen[KEYS[t]] = true; terms[#terms + 1] = KEYS[t] end
  end
  k, a = k + 1 + termCount, a + 11
  local exists = call('EXISTS', s) == 1
  -- What the indexes already hold for a trace merged into (its old start, duration, error, term sets): only changes are written.
  local oldScore, oldDuration, oldError, indexed = nil, nil, nil, {}
  if claimed and not (mode == 'absent' and exists) then
    local services, known = {}, {}
    for v in string.gmatch(serviceList, '[^\n]+') do if not known[v] then known[v] = true; services[#services + 1] = v end end
    if exists then
      local old = call('HMGET', s, 'start_us', 'stop_us', 'root', 'start_ts', 'ops', 'points', 'error', 'terms', 'services')
      if mode == 'replace' then
        for key in string.gmatch(old[8] or '', '[^\n]+') do
          if not seen[key] then call('ZREM', key, id) end
        end
      else
        local os, oe = tonumber(old[1]), tonumber(old[2])
        oldScore, oldError = os or 0, tonumber(old[7])
        if os and oe then oldDuration = oe - os else oldDuration = 0 end
        if os and not (start and start < os) then start, root, ts = os, old[3] or '', old[4] or '' end
        if oe and (not stop or oe > stop) then stop = oe end
        ops = ops + (tonumber(old[5]) or 0)
        points = points + (tonumber(old[6]) or 0)
        if tonumber(old[7]) == 1 then err = 1 end
        for key in string.gmatch(old[8] or '', '[^\n]+') do
          indexed[key] = true
          if not seen[key] then seen[key] = true; terms[#terms + 1] = key end
        end
        for v in string.gmatch(old[9] or '', '[^\n]+') do
          if not known[v] then known[v] = true; services[#services + 1] = v end
        end
      end
    end
    table.sort(services)
    local score = start or 0
    local duration = 0
    if start and stop then duration = stop - start end
    call('HSET', s, 'start_us', start and string.format('%.0f', start) or '', 'stop_us', stop and string.format('%.0f', stop) or '',
      'start_ts', ts, 'root', root, 'ops', ops, 'points', points, 'error', err,
      'terms', table.concat(terms, '\n'), 'services', table.concat(services, '\n'))
    local moved = score ~= oldScore
    if moved then call('ZADD', startIdx, score, id) end
    if duration ~= oldDuration then call('ZADD', durationIdx, duration, id) end
    if err == 1 and (moved or oldError ~= 1) then call('ZADD', errorIdx, score, id) end
    for _, key in ipairs(terms) do
      if moved or not indexed[key] then call('ZADD', key, score, id) end
    end
    if ttl and ttl > 0 and call('SISMEMBER', pinned, id) == 0 then call('EXPIRE', s, ttl) end
    written = written + 1
  end
end
return written
