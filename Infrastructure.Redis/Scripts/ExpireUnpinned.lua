-- With ttl: gives each trace key a write touched its expiry, unless the trace is pinned. Sent by RedisTraceWriter in
-- the same batch as the write's LPUSH and SET commands, right after them, only when ttl is set.
--
-- KEYS[1]   the pinned set, profiler_pinned
-- KEYS[i]   (i >= 2) a key the write touched: osprofiler_opt:<base_id> or osprofiler_error:<base_id>
-- ARGV[1]   ttl in whole seconds
-- ARGV[i]   (i >= 2) the base id of KEYS[i]
--
-- Atomic against pinning: a pin is SADD then PERSIST (one MULTI), so whichever runs first, a pinned trace ends with
-- no expiry. One SCARD, and SISMEMBER per key only when something is pinned: a few microseconds a batch.
local call = redis.call
local pinned = KEYS[1]
local ttl = ARGV[1]
local any = call('SCARD', pinned) > 0
for i = 2, #KEYS do
  if not any or call('SISMEMBER', pinned, ARGV[i]) == 0 then
    call('EXPIRE', KEYS[i], ttl)
  end
end
return #KEYS - 1
