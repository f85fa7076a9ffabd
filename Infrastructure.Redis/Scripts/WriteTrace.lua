-- Exactly once: the guard of a batch's write, and each trace's search summary (docs/search.md). On a single server
-- RedisTraceWriter sends one MULTI per write: an LPUSH of each trace's points, then this script with EVAL, then EXEC. No
-- other client runs between them. The script sets the batch key; when the key was there already (a retry of a batch
-- whose reply was lost) it takes this transaction's pushes off again with LTRIM, so the lists are as before, and merges
-- nothing. There the points never pass through Lua: an argument of a script becomes a Lua string, hashed byte by byte,
-- which cost more than the LPUSH itself. EVAL, not EVALSHA: inside MULTI a NOSCRIPT would come only at EXEC, after the
-- pushes, without the batch key. On a cluster a write is a call per hash slot (a trace or two each): this script alone,
-- with EVALSHA, pushes the points itself when it set the batch key ('here'). Runs after SummaryMerge.lua, which
-- RedisScripts puts before it.
--
-- KEYS[1]    the batch's dedupe key, {osprofiler_opt:<base_id>}:batch:<batch id>, named after the first trace of the
--            call: one key per write (per slot of the write on a cluster, where its hash tag puts it in the traces' slot)
-- ARGV[1]    seconds the batch key is kept (RedisSchema.BatchKeySeconds, a day)
-- ARGV[2]    ttl seconds (0: none) for the summaries (the writer's ExpireUnpinned.lua gives the trace keys theirs)
-- ARGV[3]    summaries: 'here' (a single server: index sets written here), 'back' (a cluster: index writes handed back)
--            or 'off' (the server refused them before: points only)
-- ARGV[4..6] the names of the start, duration and error index sets
-- ARGV[7]    number of traces
-- ARGV[8]    where the points are pushed: 'before' (a single server: by the MULTI's LPUSHes before this script) or
--            'here' (by this script, from ARGV, sent alone: on a cluster with EVALSHA, where a call per hash slot holds a
--            trace or two and a MULTI's four commands and the script's text cost more than the points passing through
--            Lua; and for a user the ACL denies LTRIM, which 'before' needs to take a retry's pushes off again)
-- then per trace, in the order of the transaction's LPUSHes:
--   KEYS     its list osprofiler_opt:<base_id>; its summary {osprofiler_opt:<base_id>}:summary; ('back' only) its pin
--            mark {osprofiler_opt:<base_id>}:pinned — all hash-tagged with the list's name, so they share its slot
--   ARGV     number of points (pushed by the LPUSH before this script, 'before'), then (not 'off') its digest: start
--            µs ('' for none), start text, stop µs, root, operations, points, error (0|1), services (joined by
--            newlines), the term sets' names (joined by newlines); then ('here') the point documents, in batch order
-- KEYS[last] ('here' only) the pinned set
-- Returns    { points kept (0 when the batch was stored already), 1 (0: the server refused the summary's commands,
--            e.g. an ACL without HSET or ZADD; the points are stored all the same), index writes ('back'), and ('here')
--            the traces (1-based, in this call's order) refused because their list's key holds another type (WRONGTYPE):
--            their points are not pushed nor merged, the other traces are; a retry finds them so again ('before': the
--            MULTI's own LPUSH answers WRONGTYPE for them) }
--
-- A retry finds the key and merges nothing (on a cluster it hands back the traces' whole index state, so index writes
-- lost with the reply are made then).
local batchSeconds, ttl, summaries, n = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[7])
local idx = { here = summaries == 'here', start = ARGV[4], duration = ARGV[5], error = ARGV[6] }
local back = summaries == 'back'
local pinnedSet = KEYS[#KEYS]
local pushHere = ARGV[8] == 'here'
local step = 2
if back then step = 3 end

-- Takes this transaction's pushes off every list again (they are at the head: LPUSH).
local function unpush()
  if pushHere then return end
  local k, a = 2, 9
  for _ = 1, n do
    local count = tonumber(ARGV[a])
    -- Refused only where this transaction's LPUSH was refused too (a key of another type): nothing of it to take off.
    pcall(call, 'LTRIM', KEYS[k], count, -1)
    k = k + step
    if summaries ~= 'off' then a = a + 10 else a = a + 1 end
  end
end

local ok, fresh = pcall(call, 'SET', KEYS[1], '1', 'NX', 'EX', batchSeconds)
if not ok then
  -- Without its batch key the batch must not stay: a retry would store it again.
  unpush()
  return redis.error_reply(fresh.err or tostring(fresh))
end
if not fresh then unpush() end
local k, a, pushed, summarised = 2, 9, 0, 1
local refused = {}
for ordinal = 1, n do
  local list, s = KEYS[k], KEYS[k + 1]
  local mark = KEYS[k + 2]
  k = k + step
  local count = tonumber(ARGV[a])
  local digest = nil
  a = a + 1
  if summaries ~= 'off' then
    digest = a
    a = a + 9
  end
  local first, last = a, a + count - 1
  if pushHere then a = a + count end
  -- A key of another type (WRONGTYPE) refuses the trace for good: it is skipped, the other traces are written.
  local kept = true
  if fresh then
    -- LPUSH in slices: unpack is limited to a few thousand values; pushing slices in order gives the same list.
    local i = first
    while pushHere and i <= last do
      local j = math.min(i + 999, last)
      local err
      kept, err = pcall(call, 'LPUSH', list, unpack(ARGV, i, j))
      if not kept then
        -- Only a key of another type is the trace's own refusal; anything else (an ACL, out of memory) fails the write.
        -- (Redis 7.0 gives the error as text, later versions as a table { err = text }.)
        local text = err
        if type(err) == 'table' then text = err.err end
        if not find(tostring(text), 'WRONGTYPE', 1, true) then error(err) end
        refused[#refused + 1] = ordinal
        break
      end
      i = j + 1
    end
  elseif pushHere then
    local kind = call('TYPE', list)['ok']
    if kind ~= 'list' and kind ~= 'none' then refused[#refused + 1] = ordinal end
  end
  if fresh and kept then
    pushed = pushed + count
    if digest and summarised == 1 then
      local id, pinned = sub(list, 16), nil
      if ttl > 0 then
        pinned = function()
          if back then return call('EXISTS', mark) == 1 end
          return call('SISMEMBER', pinnedSet, id) == 1
        end
      end
      if not pcall(merge, s, id, digest, 'merge', ttl, pinned, idx) then summarised = 0 end
    end
  elseif not fresh and digest and back and summarised == 1 then
    if not pcall(restate, s, sub(list, 16), idx) then summarised = 0 end
  end
end
-- The index sets' additions of every trace merged above, one ZADD per set.
if idx.here and not pcall(flush) then summarised = 0 end
return { pushed, summarised, writes, refused }
