-- With ttl: gives each trace key a write touched its expiry, unless the trace is pinned. Sent by RedisTraceWriter in
-- the same round trip as the write's WriteTrace.lua and error records, right after them, only when ttl is set.
--
-- ARGV[1]   ttl in whole seconds
-- ARGV[2]   how a pin is known: 'set' (a single server) or 'mark' (a cluster)
-- 'set':    KEYS[1] the pinned set, profiler_pinned; KEYS[i] (i >= 2) a key the write touched (osprofiler_opt:<base_id>
--           or osprofiler_error:<base_id>) and ARGV[i + 1] its base id
-- 'mark':   KEYS in pairs, all of one hash slot: a key the write touched, then its pin mark {<key>}:pinned
--
-- Atomic against pinning: a pin is SADD (or the mark's SET) then PERSIST (one MULTI per slot), so whichever runs first,
-- a pinned trace ends with no expiry. One SCARD, and SISMEMBER per key only when something is pinned: a few
-- microseconds a batch.
local call = redis.call
local ttl = ARGV[1]
if ARGV[2] == 'mark' then
  for i = 1, #KEYS, 2 do
    if call('EXISTS', KEYS[i + 1]) == 0 then call('EXPIRE', KEYS[i], ttl) end
  end
  return #KEYS / 2
end
local pinned = KEYS[1]
local any = call('SCARD', pinned) > 0
for i = 2, #KEYS do
  if not any or call('SISMEMBER', pinned, ARGV[i + 1]) == 0 then
    call('EXPIRE', KEYS[i], ttl)
  end
end
return #KEYS - 1
