-- Exactly once: stores one trace's share of a batch unless this batch was stored already. Sent by RedisTraceWriter,
-- one call per trace of the batch, all in the batch's one pipelined round trip (EVALSHA; SCRIPT LOAD on NOSCRIPT).
--
-- KEYS[1]   the trace list, osprofiler_opt:<base_id>
-- KEYS[2]   the batch's dedupe key, {osprofiler_opt:<base_id>}:batch:<batch id>: its hash tag is the list's name, so
--           both keys live in the same Redis Cluster hash slot
-- ARGV[1]   seconds the dedupe key is kept (RedisSchema.BatchKeySeconds, a day)
-- ARGV[i]   (i >= 2) the point documents, in batch order
--
-- SET NX and LPUSH run in one script, so no other client sees one without the other: a retry of a batch whose reply
-- was lost finds the key and pushes nothing. The key's value 'new' lets the same round trip's Summarise.lua claim it
-- (setting it to 'done'), so the search summary counts the points once too. Returns the points pushed (0 for a batch
-- already stored).
local call = redis.call
if not call('SET', KEYS[2], 'new', 'NX', 'EX', ARGV[1]) then
  return 0
end
-- LPUSH in slices: unpack is limited to a few thousand values; pushing slices in order gives the same list.
local n = #ARGV
local i = 2
while i <= n do
  local last = math.min(i + 999, n)
  call('LPUSH', KEYS[1], unpack(ARGV, i, last))
  i = last + 1
end
return n - 1
