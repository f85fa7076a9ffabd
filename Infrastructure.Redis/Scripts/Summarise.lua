-- Merges trace digests into their summaries and the search indexes (docs/search.md). Sent by RedisTraceWriter once
-- per write, in the same pipelined batch as the points (after them), for every trace of the write; and by RedisSearch
-- for traces another writer stored.
--
-- ARGV[1..7] ttl seconds (0: none), mode ('merge' | 'absent' | 'replace'), number of traces, where the index writes go
--            ('here' on a single server | 'back' on a cluster), and the names of the start, duration and error indexes
-- KEYS[1]    ('here' only) the pinned set
-- then per trace, in order:
--   KEYS     its summary hash {osprofiler_opt:<base_id>}:summary (the trace list's slot); when the claim flag is 1, the
--            write's batch key {osprofiler_opt:<base_id>}:batch:<id>; ('back' only) its pin mark {osprofiler_opt:<base_id>}:pinned
--   ARGV     base id, start µs ('' for none), start text, stop µs, root, operations, points, error (0|1),
--            services (joined by newlines), number of term sets, claim flag (1: merge only if this write stored the
--            points, i.e. WriteTrace.lua left the batch key at 'new'; it is set to 'done' so a retry merges nothing),
--            then the names of its term sets profiler_idx:<s|p|h|n>:<value> (base id -> start)
-- Returns    'here': the summaries written (mode 'absent' skips traces that have one).
--            'back': { summaries written, index writes } where the index writes are a flat list of 4-tuples
--            ('a', set, score, base id) for ZADD and ('r', set, '', base id) for ZREM, which the caller sends to the
--            index slot. On a cluster the index sets live in another slot than the summaries, so they cannot be written
--            here; every trace the call names gets its whole index state back (also one a retry of the batch finds
--            merged already), so a caller that failed between the two steps repairs the indexes by sending the batch again.
--
-- Each hash keeps the trace's term keys (field terms), so that a delete or a prune removes every index entry, and a
-- start that moves earlier re-scores every set the trace is in. Term sets are named in ARGV, not KEYS: on a cluster
-- they are in the index slot, which this script never touches.
local call = redis.call
local ttl, mode, n, here = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), ARGV[4] == 'here'
local startIdx, durationIdx, errorIdx = ARGV[5], ARGV[6], ARGV[7]
local k, a, written = 1, 8, 0
local pinned = nil
if here then pinned = KEYS[1]; k = 2 end
local writes = {}
local function zadd(key, score, id)
  if here then call('ZADD', key, score, id) else
    writes[#writes + 1] = 'a'; writes[#writes + 1] = key; writes[#writes + 1] = string.format('%.0f', score); writes[#writes + 1] = id
  end
end
local function zrem(key, id)
  if here then call('ZREM', key, id) else
    writes[#writes + 1] = 'r'; writes[#writes + 1] = key; writes[#writes + 1] = ''; writes[#writes + 1] = id
  end
end
for _ = 1, n do
  local s, id = KEYS[k], ARGV[a]
  local start, ts, stop, root = tonumber(ARGV[a + 1]), ARGV[a + 2], tonumber(ARGV[a + 3]), ARGV[a + 4]
  local ops, points, err = tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6]), tonumber(ARGV[a + 7])
  local serviceList, termCount, claim = ARGV[a + 8], tonumber(ARGV[a + 9]), tonumber(ARGV[a + 10])
  local claimed = true
  k = k + 1
  if claim == 1 then
    -- XX: a batch key this write did not set (the write script was refused) is left alone and nothing is merged.
    claimed = call('SET', KEYS[k], 'done', 'XX', 'KEEPTTL', 'GET') == 'new'
    k = k + 1
  end
  local mark = nil
  if not here then mark = KEYS[k]; k = k + 1 end
  local terms, seen = {}, {}
  for t = a + 11, a + 10 + termCount do
    if not seen[ARGV[t]] then seen[ARGV[t]] = true; terms[#terms + 1] = ARGV[t] end
  end
  a = a + 11 + termCount
  local exists = call('EXISTS', s) == 1
  -- What the indexes already hold for a trace merged into (its old start, duration, error, term sets): on a single
  -- server only changes are written.
  local oldScore, oldDuration, oldError, indexed = nil, nil, nil, {}
  if claimed and not (mode == 'absent' and exists) then
    local services, known = {}, {}
    for v in string.gmatch(serviceList, '[^\n]+') do if not known[v] then known[v] = true; services[#services + 1] = v end end
    if exists then
      local old = call('HMGET', s, 'start_us', 'stop_us', 'root', 'start_ts', 'ops', 'points', 'error', 'terms', 'services')
      if mode == 'replace' then
        for key in string.gmatch(old[8] or '', '[^\n]+') do
          if not seen[key] then zrem(key, id) end
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
    local moved = score ~= oldScore or not here
    if moved then zadd(startIdx, score, id) end
    if duration ~= oldDuration or not here then zadd(durationIdx, duration, id) end
    if err == 1 and (moved or oldError ~= 1) then zadd(errorIdx, score, id) end
    for _, key in ipairs(terms) do
      if moved or not indexed[key] then zadd(key, score, id) end
    end
    local isPinned
    if here then isPinned = call('SISMEMBER', pinned, id) == 1 else isPinned = call('EXISTS', mark) == 1 end
    if ttl and ttl > 0 and not isPinned then call('EXPIRE', s, ttl) end
    written = written + 1
  elseif not here and exists then
    -- Merged already (a retried batch) or kept as it is ('absent'): its whole index state, so a lost index write is repaired.
    local old = call('HMGET', s, 'start_us', 'stop_us', 'error', 'terms')
    local os, oe = tonumber(old[1]), tonumber(old[2])
    local score = os or 0
    local duration = 0
    if os and oe then duration = oe - os end
    zadd(startIdx, score, id)
    zadd(durationIdx, duration, id)
    if tonumber(old[3]) == 1 then zadd(errorIdx, score, id) end
    for key in string.gmatch(old[4] or '', '[^\n]+') do zadd(key, score, id) end
  end
end
if here then return written end
return { written, writes }
