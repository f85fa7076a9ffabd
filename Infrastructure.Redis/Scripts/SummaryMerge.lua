-- The rules of a trace's search summary (docs/search.md), shared by WriteTrace.lua and Summarise.lua: RedisScripts puts
-- this text before each of them, so that both merge a digest the same way.
--
-- merge(s, d, mode, ttl, pinned, idx) merges digest d into the summary hash s; returns 1 when it wrote it, 0 when mode
-- is 'absent' and the trace has one. mode: 'merge' (add to what is there), 'absent' (only traces without a summary),
-- 'replace' (the digest is the whole trace). d = { id, start (µs or nil), ts, stop (µs or nil), root, ops, points,
-- err (0|1), services (newline-separated), terms (the names of its term sets, no repeats) }. pinned() tells whether the
-- trace is pinned (asked only with a ttl, which the hash then gets unless pinned).
-- idx = { here, start, duration, error }: the index sets' names; with here the sets are written at once (a single
-- server), otherwise the writes are appended to `writes` as 4-tuples ('a', set, score, id) / ('r', set, '', id) for the
-- caller to send to the index slot (a cluster), and they state the trace's whole index entry so a lost one is repaired.
-- restate(s, id, idx) appends a trace's whole index state, read from its hash, to `writes`.
--
-- Each hash keeps the names of the trace's term sets (field terms), so that a delete or a prune removes every index
-- entry, and a start that moves earlier re-scores every set the trace is in. Merging into an existing summary reads it
-- with one HMGET and writes back only the fields that changed.
local call, find, gmatch, fmt, concat = redis.call, string.find, string.gmatch, string.format, table.concat
local writes = {}
local function zadd(idx, key, score, id)
  if idx.here then call('ZADD', key, score, id) else
    local n = #writes
    writes[n + 1] = 'a'; writes[n + 2] = key; writes[n + 3] = fmt('%.0f', score); writes[n + 4] = id
  end
end
local function zrem(idx, key, id)
  if idx.here then call('ZREM', key, id) else
    local n = #writes
    writes[n + 1] = 'r'; writes[n + 2] = key; writes[n + 3] = ''; writes[n + 4] = id
  end
end
-- Whether the newline-separated list holds value as one of its lines.
local function has(list, value)
  return list ~= '' and find('\n' .. list .. '\n', '\n' .. value .. '\n', 1, true) ~= nil
end
local function sortedLines(text)
  local out, seen = {}, {}
  for v in gmatch(text, '[^\n]+') do if not seen[v] then seen[v] = true; out[#out + 1] = v end end
  table.sort(out)
  return out
end
local function us(v) if v then return fmt('%.0f', v) end return '' end

local function merge(s, d, mode, ttl, pinned, idx)
  local id = d.id
  -- One read of what is there: a summary always has its points field.
  local old = call('HMGET', s, 'start_us', 'stop_us', 'ops', 'points', 'error', 'terms', 'services')
  local exists = old[4] ~= false and old[4] ~= nil
  if mode == 'absent' and exists then return 0 end
  local start, stop, err, terms = d.start, d.stop, d.err, d.terms
  if not exists or mode == 'replace' then
    local score, duration = start or 0, 0
    if start and stop then duration = stop - start end
    if exists then
      local keep = {}
      for _, key in ipairs(terms) do keep[key] = true end
      for key in gmatch(old[6] or '', '[^\n]+') do if not keep[key] then zrem(idx, key, id) end end
      if tonumber(old[5]) == 1 and err ~= 1 then zrem(idx, idx.error, id) end
    end
    call('HSET', s, 'start_us', us(start), 'stop_us', us(stop), 'start_ts', d.ts, 'root', d.root, 'ops', d.ops,
      'points', d.points, 'error', err, 'terms', concat(terms, '\n'), 'services', concat(sortedLines(d.services), '\n'))
    zadd(idx, idx.start, score, id)
    zadd(idx, idx.duration, duration, id)
    if err == 1 then zadd(idx, idx.error, score, id) end
    for _, key in ipairs(terms) do zadd(idx, key, score, id) end
  else
    local os, oe = tonumber(old[1]), tonumber(old[2])
    -- HSET's arguments: the fields that changed.
    local changed = { 'ops', d.ops + (tonumber(old[3]) or 0), 'points', d.points + (tonumber(old[4]) or 0) }
    local first, last, moved = os, oe, false
    if start and (not os or start < os) then
      first, moved = start, true
      local n = #changed
      changed[n + 1] = 'start_us'; changed[n + 2] = us(start); changed[n + 3] = 'start_ts'; changed[n + 4] = d.ts
      changed[n + 5] = 'root'; changed[n + 6] = d.root
    end
    if stop and (not oe or stop > oe) then
      last = stop
      changed[#changed + 1] = 'stop_us'; changed[#changed + 1] = us(stop)
    end
    local wasError = tonumber(old[5]) == 1
    if err == 1 and not wasError then changed[#changed + 1] = 'error'; changed[#changed + 1] = 1 end
    local oldTerms, added = old[6] or '', {}
    for _, key in ipairs(terms) do if not has(oldTerms, key) then added[#added + 1] = key end end
    local allTerms = oldTerms
    if #added > 0 then
      if oldTerms == '' then allTerms = concat(added, '\n') else allTerms = oldTerms .. '\n' .. concat(added, '\n') end
      changed[#changed + 1] = 'terms'; changed[#changed + 1] = allTerms
    end
    local oldServices = old[7] or ''
    for v in gmatch(d.services, '[^\n]+') do
      if not has(oldServices, v) then
        changed[#changed + 1] = 'services'; changed[#changed + 1] = concat(sortedLines(oldServices .. '\n' .. d.services), '\n')
        break
      end
    end
    call('HSET', s, unpack(changed))
    local score, duration, oldDuration = first or 0, 0, 0
    if first and last then duration = last - first end
    if os and oe then oldDuration = oe - os end
    local anyError = err == 1 or wasError
    local full = moved or not idx.here
    if full then zadd(idx, idx.start, score, id) end
    if full or duration ~= oldDuration then zadd(idx, idx.duration, duration, id) end
    if anyError and (full or not wasError) then zadd(idx, idx.error, score, id) end
    if full then
      for key in gmatch(allTerms, '[^\n]+') do zadd(idx, key, score, id) end
    else
      for _, key in ipairs(added) do zadd(idx, key, score, id) end
    end
  end
  if ttl and ttl > 0 and not pinned() then call('EXPIRE', s, ttl) end
  return 1
end

local function restate(s, id, idx)
  local old = call('HMGET', s, 'start_us', 'stop_us', 'error', 'terms')
  if not old[1] then return end
  local os, oe = tonumber(old[1]), tonumber(old[2])
  local score, duration = os or 0, 0
  if os and oe then duration = oe - os end
  zadd(idx, idx.start, score, id)
  zadd(idx, idx.duration, duration, id)
  if tonumber(old[3]) == 1 then zadd(idx, idx.error, score, id) end
  for key in gmatch(old[4] or '', '[^\n]+') do zadd(idx, key, score, id) end
end
