-- The listing columns of the trace summaries KEYS ({osprofiler_opt:<base_id>}:summary) for a page of an unfiltered
-- listing (RedisSearch.EnrichAsync): one HMGET each, all sent back as one MessagePack string (Redis's cmsgpack) rather
-- than an array per trace, so that the client parses one reply a call (StackExchange.Redis one message, not one per
-- trace) and the server encodes them in one C call.
--
-- Returns  MessagePack: an array of one array per key, of stop_us, start_us, root, ops, error, services (HMGET's
--          order), each a string or false when the field is missing (start_us false: no summary, a trace another
--          writer stored).
local call = redis.call
local out = {}
for i = 1, #KEYS do
  out[i] = call('HMGET', KEYS[i], 'stop_us', 'start_us', 'root', 'ops', 'error', 'services')
end
return cmsgpack.pack(out)
