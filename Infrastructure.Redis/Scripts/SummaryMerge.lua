-- The rules of a trace's search summary (docs/search.md), shared by WriteTrace.lua and Summarise.lua: RedisScripts puts
-- this text before each of them, so that both merge a digest the same way.
--
-- merge(s, id, v, mode, ttl, pinned, idx) merges the digest of trace id found in ARGV from index v into the summary hash
-- s; returns 1 when it wrote it, 0 when mode is 'absent' and the trace has one. mode: 'merge' (add to what is there),
-- 'absent' (only traces without a summary), 'replace' (the digest is the whole trace). The digest, as RedisSearch.AddDigest
-- sends it: ARGV[v..v+8] start µs ('' for none), start text, stop µs ('' for none), root, operations, points, error
-- (0|1), services (newline-separated), the names of its term sets (newline-separated, no repeats: the summary's terms
-- field as a new summary stores it). It is read in place, not copied into a table: this runs for every trace of every
-- write. pinned() tells whether the trace is
-- pinned (asked only with a ttl, which the hash then gets unless pinned).
-- idx = { here, start, duration, error }: the index sets' names; with here the sets are written on the server itself (a
-- single server): a set's additions are gathered and sent as one ZADD per set by flush(), which every script that merges
-- with here calls before it returns (a ZADD per trace and set cost more than the merge's other commands); otherwise the writes are appended to `writes` as 4-tuples ('a', set, score, id) / ('r', set, '', id) for the
-- caller to send to the index slot (a cluster), and they state the trace's whole index entry so a lost one is repaired.
-- restate(s, id, idx) appends a trace's whole index state, read from its hash, to `writes`.
--
-- Each hash keeps the names of the trace's term sets (field terms), so that a delete or a prune removes every index
-- entry, and a start that moves earlier re-scores every set the trace is in. Merging into an existing summary reads it
-- with one HMGET and writes back only the fields that changed.
local call, find, gmatch, fmt, concat, byte, sub, unpack = redis.call, string.find, string.gmatch, string.format, table.concat, string.byte, string.sub, unpack
-- Locals, not globals: a global is looked up by name on every use.
local ARGV, KEYS, tonumber, pcall = ARGV, KEYS, tonumber, pcall
local writes = {}
-- here: the additions not sent yet, per set (score, member, score, member, …), and the sets in the order first added to.
local adds, addOrder = {}, {}
-- Sends the gathered additions: one ZADD per set. A member added twice to one set keeps its last score, as with
-- a ZADD each.
local function flush()
  local sets, order = adds, addOrder
  adds, addOrder = {}, {}
  -- Raises the server's error (e.g. an ACL without ZADD), as the ZADD would.
  for _, key in ipairs(order) do
    local pending = sets[key]
    -- In slices: unpack is limited to a few thousand values.
    for i = 1, #pending, 1000 do call('ZADD', key, unpack(pending, i, math.min(i + 999, #pending))) end
  end
end
local function zadd(idx, key, score, id)
  if idx.here then
    local pending = adds[key]
    if not pending then pending = {}; adds[key] = pending; addOrder[#addOrder + 1] = key end
    local n = #pending
    -- As integer text: a number passed to a command is formatted with %.17g, which costs more than the ZADD.
    pending[n + 1] = fmt('%d', score); pending[n + 2] = id
  else
    local n = #writes
    writes[n + 1] = 'a'; writes[n + 2] = key; writes[n + 3] = fmt('%.0f', score); writes[n + 4] = id
  end
end
local function zrem(idx, key, id)
  if idx.here then
    -- What was added before goes first, so that the removal comes after it, as written.
    if #addOrder > 0 then flush() end
    call('ZREM', key, id)
  else
    local n = #writes
    writes[n + 1] = 'r'; writes[n + 2] = key; writes[n + 3] = ''; writes[n + 4] = id
  end
end
-- Whether the newline-separated list holds value as one of its lines. Found in place: a string Lua builds is hashed
-- byte by byte (Redis's Lua hashes every byte of a string it makes), and a trace's terms run to hundreds of bytes.
local function has(list, value)
  local n, last, init = #value, #list, 1
  while true do
    local i = find(list, value, init, true)
    if not i then return false end
    local j = i + n
    if (i == 1 or byte(list, i - 1) == 10) and (j > last or byte(list, j) == 10) then return true end
    init = i + 1
  end
end
local function sortedLines(text)
  local out, seen = {}, {}
  for v in gmatch(text, '[^\n]+') do if not seen[v] then seen[v] = true; out[#out + 1] = v end end
  table.sort(out)
  return out
end

-- Whether integer text a is less than integer text b (µs, neither empty): by length, then by digits, as long as neither
-- is negative. Spares the common write two conversions of 16-digit numbers, which cost more than the rest of a compare.
local function less(a, b)
  if byte(a, 1) == 45 or byte(b, 1) == 45 then return tonumber(a) < tonumber(b) end
  local la, lb = #a, #b
  if la ~= lb then return la < lb end
  return a < b
end

local function merge(s, id, v, mode, ttl, pinned, idx)
  -- One read of what is there: a summary always has its points field.
  local old = call('HMGET', s, 'start_us', 'stop_us', 'ops', 'points', 'error', 'terms', 'services')
  local exists = old[4] ~= false and old[4] ~= nil
  if mode == 'absent' and exists then return 0 end
  -- The digest, read from ARGV in place (no table of it).
  local startUs, ts, stopUs, root, errText = ARGV[v], ARGV[v + 1], ARGV[v + 2], ARGV[v + 3], ARGV[v + 6]
  local services, terms, err = ARGV[v + 7], ARGV[v + 8], errText == '1'
  if not exists or mode == 'replace' then
    local start, stop = tonumber(startUs), tonumber(stopUs)
    local score, duration = start or 0, 0
    if start and stop then duration = stop - start end
    if exists then
      local keep = {}
      for key in gmatch(terms, '[^\n]+') do keep[key] = true end
      for key in gmatch(old[6] or '', '[^\n]+') do if not keep[key] then zrem(idx, key, id) end end
      if old[5] == '1' and not err then zrem(idx, idx.error, id) end
    end
    call('HSET', s, 'start_us', startUs, 'stop_us', stopUs, 'start_ts', ts, 'root', root, 'ops', ARGV[v + 4],
      'points', ARGV[v + 5], 'error', errText, 'terms', terms, 'services', concat(sortedLines(services), '\n'))
    zadd(idx, idx.start, score, id)
    zadd(idx, idx.duration, duration, id)
    if err then zadd(idx, idx.error, score, id) end
    for key in gmatch(terms, '[^\n]+') do zadd(idx, key, score, id) end
  else
    local oldStart, oldStop, wasError, oldTerms = old[1] or '', old[2] or '', old[5] == '1', old[6] or ''
    local moved = startUs ~= '' and (oldStart == '' or less(startUs, oldStart))
    local grew = stopUs ~= '' and (oldStop == '' or less(oldStop, stopUs))
    local ops, points = fmt('%d', ARGV[v + 4] + (tonumber(old[3]) or 0)), fmt('%d', ARGV[v + 5] + (tonumber(old[4]) or 0))
    local added, allServices = nil, nil
    -- The same terms in the same order (the usual write to a trace) are one comparison: Lua keeps one copy of a string.
    if terms ~= oldTerms then
      for key in gmatch(terms, '[^\n]+') do
        if not has(oldTerms, key) then
          if added then added[#added + 1] = key else added = { key } end
        end
      end
    end
    local allTerms = oldTerms
    if added then
      if oldTerms == '' then allTerms = concat(added, '\n') else allTerms = oldTerms .. '\n' .. concat(added, '\n') end
    end
    local oldServices = old[7] or ''
    -- The same services (a writer sends them sorted, as they are stored) need no look at each.
    if services ~= oldServices then
      for sv in gmatch(services, '[^\n]+') do
        if not has(oldServices, sv) then
          allServices = concat(sortedLines(oldServices .. '\n' .. services), '\n')
          break
        end
      end
    end
    -- HSET's arguments: the fields that changed. The usual write to a trace changes its counts and its stop only:
    -- one HSET of those, without a table of them.
    if not (moved or added or allServices or (err and not wasError)) then
      if grew then call('HSET', s, 'ops', ops, 'points', points, 'stop_us', stopUs)
      else call('HSET', s, 'ops', ops, 'points', points) end
    else
      local changed, n = { 'ops', ops, 'points', points }, 4
      if moved then
        changed[n + 1] = 'start_us'; changed[n + 2] = startUs; changed[n + 3] = 'start_ts'; changed[n + 4] = ts
        changed[n + 5] = 'root'; changed[n + 6] = root
        n = n + 6
      end
      if grew then changed[n + 1] = 'stop_us'; changed[n + 2] = stopUs; n = n + 2 end
      if err and not wasError then changed[n + 1] = 'error'; changed[n + 2] = '1'; n = n + 2 end
      if added then changed[n + 1] = 'terms'; changed[n + 2] = allTerms; n = n + 2 end
      if allServices then changed[n + 1] = 'services'; changed[n + 2] = allServices; n = n + 2 end
      call('HSET', s, unpack(changed, 1, n))
    end
    local anyError = err or wasError
    local full = moved or not idx.here
    -- The index writes: the duration when start or stop moved; all of them with a new start (or on a cluster, where they
    -- restate the trace's whole entry); the error and term sets the trace joined. The times are read as numbers only then.
    if full or grew or (anyError and not wasError) or added then
      local first, last = tonumber(moved and startUs or oldStart), tonumber(grew and stopUs or oldStop)
      local score, duration = first or 0, 0
      if first and last then duration = last - first end
      if full then zadd(idx, idx.start, score, id) end
      if full or grew then zadd(idx, idx.duration, duration, id) end
      if anyError and (full or not wasError) then zadd(idx, idx.error, score, id) end
      if full then
        for key in gmatch(allTerms, '[^\n]+') do zadd(idx, key, score, id) end
      elseif added then
        for _, key in ipairs(added) do zadd(idx, key, score, id) end
      end
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
