-- Merges one trace's digest into its summary and the search indexes (docs/search.md). Sent by RedisTraceWriter once a
-- trace of each write, in the same pipelined batch as the points, and by RedisSearch for traces another writer stored.
--
-- KEYS[1]   the summary hash {osprofiler_opt:<base_id>}:summary (the trace list's slot)
-- KEYS[2]   profiler_idx:start      (zset: base id -> start, µs since the epoch)
-- KEYS[3]   profiler_idx:duration   (zset: base id -> duration, µs)
-- KEYS[4]   profiler_idx:error      (zset: base id -> start; traces with a failed operation)
-- KEYS[5]   profiler_pinned
-- KEYS[6..] the term sets of the digest: profiler_idx:<s|p|h|n>:<value> (zset: base id -> start)
-- ARGV      base id, start µs ('' for none), start text, stop µs, root, operations, points, error (0|1),
--           ttl seconds (0: none), mode ('merge' | 'absent' | 'replace'), services (joined by newlines)
-- Returns   1 when the summary was written, 0 when mode 'absent' found one.
--
-- The hash keeps the trace's term keys (field terms) so that a delete or a prune removes every index entry, and a
-- start that moves earlier re-scores every set the trace is in.
local call = redis.call
local s = KEYS[1]
local id, mode = ARGV[1], ARGV[10]
local exists = call('EXISTS', s) == 1
if mode == 'absent' and exists then return 0 end
local start, ts, stop, root = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5]
local ops, points, err = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local terms, seen = {}, {}
for k = 6, #KEYS do if not seen[KEYS[k]] then seen[KEYS[k]] = true; terms[#terms + 1] = KEYS[k] end end
local services, known = {}, {}
for v in string.gmatch(ARGV[11], '[^\n]+') do if not known[v] then known[v] = true; services[#services + 1] = v end end
if exists then
  local old = call('HMGET', s, 'start_us', 'stop_us', 'root', 'start_ts', 'ops', 'points', 'error', 'terms', 'services')
  if mode == 'replace' then
    for key in string.gmatch(old[8] or '', '[^\n]+') do
      if not seen[key] then call('ZREM', key, id) end
    end
  else
    local os, oe = tonumber(old[1]), tonumber(old[2])
    if os and not (start and start < os) then start, root, ts = os, old[3] or '', old[4] or '' end
    if oe and (not stop or oe > stop) then stop = oe end
    ops = ops + (tonumber(old[5]) or 0)
    points = points + (tonumber(old[6]) or 0)
    if tonumber(old[7]) == 1 then err = 1 end
    for key in string.gmatch(old[8] or '', '[^\n]+') do
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
call('ZADD', KEYS[2], score, id)
call('ZADD', KEYS[3], duration, id)
if err == 1 then call('ZADD', KEYS[4], score, id) end
for _, key in ipairs(terms) do call('ZADD', key, score, id) end
local ttl = tonumber(ARGV[9])
if ttl and ttl > 0 and call('SISMEMBER', KEYS[5], id) == 0 then call('EXPIRE', s, ttl) end
return 1
