-- One bounded step of a search (docs/search.md): walks a sorted set of base ids scored by trace start, newest first,
-- from a position, keeping the ids every other condition holds for. Sent by RedisSearch until it has a page (or the
-- count is complete); each call examines at most ARGV[7] entries, so no call holds the server long.
--
-- KEYS[1]   the set walked: profiler_idx:start, profiler_idx:error or a term set (the smallest the search names)
-- KEYS[2]   profiler_idx:duration
-- KEYS[3]   profiler_idx:start
-- KEYS[4..] sets the trace must also be in (other terms, errors)
-- ARGV[1]   highest start to take (inclusive; '+inf' for none)
-- ARGV[2]   '' or a base id: at exactly ARGV[1], take only smaller ids (a cursor's tie-break)
-- ARGV[3]   lowest start ('-inf' for none)
-- ARGV[4]   lowest duration ('' for none), ARGV[5] highest duration ('' for none)
-- ARGV[6]   matches wanted (0: count them all)
-- ARGV[7]   most entries to examine in this call
-- ARGV[8]   '1' to check each trace's summary still exists (with ttl), dropping index entries of expired traces (a
--           single server only: on a cluster the summaries are in other slots, and the caller checks)
-- ARGV[9]   the error index's name (an expired trace's entry goes from it too)
-- Returns   { {id, start, …}, matches, last score, last id, done (1 when the set is exhausted) }
local call = redis.call
local max, tie, min = ARGV[1], ARGV[2], ARGV[3]
local dmin, dmax = tonumber(ARGV[4]), tonumber(ARGV[5])
local want, budget, check = tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8] == '1'
local maxn = tonumber(max)
local found, count, examined, offset = {}, 0, 0, 0
local lastScore, lastId = max, tie
while examined < budget do
  local page = call('ZREVRANGEBYSCORE', KEYS[1], max, min, 'WITHSCORES', 'LIMIT', offset, 256)
  if #page == 0 then return { found, count, lastScore, lastId, 1 } end
  for i = 1, #page, 2 do
    local id, score = page[i], page[i + 1]
    offset = offset + 1
    if not (tie ~= '' and maxn and tonumber(score) == maxn and id >= tie) then
      examined = examined + 1
      lastScore, lastId = score, id
      local ok = true
      for k = 4, #KEYS do
        if not call('ZSCORE', KEYS[k], id) then ok = false; break end
      end
      if ok and (dmin or dmax) then
        local d = tonumber(call('ZSCORE', KEYS[2], id))
        ok = d ~= nil and (not dmin or d >= dmin) and (not dmax or d <= dmax)
      end
      if ok and check and call('EXISTS', '{osprofiler_opt:' .. id .. '}:summary') == 0 then
        -- Expired with its trace: its index entries go (the term sets it is in are unknown now; they drop it when walked).
        for k = 1, #KEYS do call('ZREM', KEYS[k], id) end
        call('ZREM', ARGV[9], id)
        ok = false
        offset = offset - 1
      end
      if ok then
        count = count + 1
        if want > 0 then
          found[#found + 1] = id
          found[#found + 1] = score
          if count >= want then return { found, count, score, id, 0 } end
        end
      end
      if examined >= budget then break end
    end
  end
end
return { found, count, lastScore, lastId, 0 }
