-- For each key of KEYS (a trace list, osprofiler_opt:<base_id>), the "timestamp" of its earliest point, decoded
-- server-side: a string, '' when the point has none or is not a JSON object, false (nil) when the list is gone.
-- Sends back some 30 bytes a trace instead of the whole point, all of them as one MessagePack array (cmsgpack, one C
-- call): the client reads one string rather than a reply object per trace (RedisTraceLister, PackedReply).
--
-- The earliest point is the list's tail (LINDEX -1): points are pushed with LPUSH, so the tail is the point stored
-- first, which is also the earliest on a timestamp tie (contract decision D3).
--
-- Decoding each point with cjson costs the server some 2 us a trace on top of the LINDEX; most points are read with
-- plain searches instead. In valid JSON, "timestamp" right after { or , (and an optional space) and before : is a
-- key, not text in a string (quotes in strings are escaped). It is the top-level key when no { but the first comes
-- before it, and the only one when the text "timestamp" does not occur again; its value is taken when it is a string
-- without escapes. Any other point (a nested object first, a second "timestamp", escapes, other spacing, not an
-- object) is decoded with cjson. The library functions are held in locals and neighbouring bytes read with one
-- call: each global lookup and C call counts when it runs 20,000 times (about 15 % of the script's time).
--
-- On a Redis Cluster a script's KEYS must share one slot, and trace lists are spread over all of them: there the lists
-- come as ARGV (no KEYS), and the script is sent to the primary whose SCAN found them. A script without flags may read
-- undeclared keys of that node (Redis 7 keeps this for scripts without a shebang); one that is not there (its slot
-- migrated meanwhile) fails the call, and the listing then reads the tails with LINDEX instead.
local call, find, byte, sub = redis.call, string.find, string.byte, string.sub
local out = {}
local lists = KEYS
if #lists == 0 then lists = ARGV end
for i, key in ipairs(lists) do
  local v = call('LINDEX', key, -1)
  if not v then
    out[i] = false
  else
    local ts = nil
    local s, e = find(v, '"timestamp"', 1, true)
    if s and byte(v, 1) == 123 then
      local c
      if s > 2 then
        local c1, c0 = byte(v, s - 2, s - 1)
        if c0 == 32 then c = c1 else c = c0 end
      else
        c = byte(v, s - 1)
      end
      local a1, a2, a3 = byte(v, e + 1, e + 3)
      local a = nil
      if a1 == 58 then
        if a2 == 34 then a = e + 2 elseif a2 == 32 and a3 == 34 then a = e + 3 end
      end
      if a and (c == 44 or c == 123) then
        local b = find(v, '"', a + 1, true)
        local brace = find(v, '{', 2, true)
        if b and (not brace or brace > s) and not find(v, '"timestamp"', e + 1, true) then
          local value = sub(v, a + 1, b - 1)
          if not find(value, '\\', 1, true) then ts = value end
        end
      end
    end
    if ts then
      out[i] = ts
    else
      local ok, doc = pcall(cjson.decode, v)
      if ok and type(doc) == 'table' and type(doc['timestamp']) == 'string' then out[i] = doc['timestamp'] else out[i] = '' end
    end
  end
end
return cmsgpack.pack(out)
