using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Profiler.Storage;
using Profiler.Domain;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// OSProfiler's Redis collector (COMPAT §2). A trace is the list <c>osprofiler_opt:&lt;base_id&gt;</c>, newest point
/// first (<c>LPUSH</c>); with <c>filter_error_trace</c> a trace holding a failed operation also gets
/// <c>osprofiler_error:&lt;base_id&gt;</c> = <c>{"base_id": …, "timestamp": …}</c>. The legacy schema, one key
/// <c>osprofiler:&lt;base_id&gt;…</c> per point, is read too, never written.
/// </summary>
internal sealed class RedisTraceStore : ITraceStore, ITraceStoreCleanup
{
    public const string ListPrefix = "osprofiler_opt:";
    public const string LegacyPrefix = "osprofiler:";
    public const string ErrorPrefix = "osprofiler_error:";

    /// <summary>Points read per <c>LRANGE</c>.</summary>
    public const int ReadChunk = 10_000;

    /// <summary><c>COUNT</c> of each <c>SCAN</c>: few round trips over a large keyspace.</summary>
    public const int ScanCount = 10_000;

    /// <summary>One SCAN pattern for all three key families: <c>osprofiler:</c>, <c>osprofiler_opt:</c>, <c>osprofiler_error:</c>.</summary>
    private const string AllKeysPattern = "osprofiler[:_]*";

    private readonly RedisStoreOptions _options;
    private readonly RedisConnection _connection;
    private readonly ILogger _logger;

    public RedisTraceStore(RedisStoreOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _logger = loggerFactory.CreateLogger<RedisTraceStore>();
        _connection = new RedisConnection(options, _logger);
        // The handshake (and StackExchange.Redis's own start-up) overlaps whatever the caller does before its first
        // operation: for a command-line listing, about a sixth of its time.
        _connection.ConnectInBackground();
    }

    internal RedisConnection Connection => _connection;

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, CancellationToken cancellationToken)
    {
        if (points.Count == 0) return;
        // One LPUSH per trace with its points in batch order: the list ends up as if each point were pushed in turn.
        // First each point's trace, its base id checked when the trace is first seen (consecutive points mostly share
        // one string: it is looked up only when it changes). Nothing is sent unless every base id is safe.
        var traceOf = new int[points.Count];
        var traceIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var baseIds = new List<string>();
        var counts = new List<int>();
        string? previousId = null;
        var previous = -1;
        for (var i = 0; i < points.Count; i++)
        {
            var baseId = points[i].BaseId;
            if (previous < 0 || !ReferenceEquals(baseId, previousId))
            {
                if (baseId is null || !traceIndex.TryGetValue(baseId, out previous))
                {
                    if (!TracePointRules.IsSafeId(baseId))
                        throw new ArgumentException(TracePointRules.IdError("base_id", baseId), nameof(points));
                    previous = baseIds.Count;
                    traceIndex.Add(baseId, previous);
                    baseIds.Add(baseId);
                    counts.Add(0);
                }
                previousId = baseId;
            }
            traceOf[i] = previous;
            counts[previous]++;
        }

        // Every document is written into one pooled buffer by one writer; the values are slices of it.
        var buffer = new PooledBufferWriter(points.Count * 512);
        var ranges = TracePointJson.WriteAll(buffer, points, _options.Project, _options.Service);
        var documents = buffer.WrittenMemory;
        var lists = new RedisValue[baseIds.Count][];
        for (var t = 0; t < lists.Length; t++) lists[t] = new RedisValue[counts[t]];
        var filled = new int[lists.Length];
        List<(string BaseId, string Record)>? errors = null;
        for (var i = 0; i < points.Count; i++)
        {
            var t = traceOf[i];
            lists[t][filled[t]++] = documents[ranges[i]];
            var point = points[i];
            if (_options.FilterErrorTrace && point.Info is not null
                && point.Info.TryGetPropertyValue("etype", out var etype) && etype is not null)
                (errors ??= []).Add((point.BaseId, ErrorRecord(point.BaseId, point.Timestamp)));
        }

        await _connection.RunAsync("write trace points to", db =>
        {
            var batch = db.CreateBatch();
            var pending = new Task[lists.Length + (errors?.Count ?? 0)];
            for (var t = 0; t < lists.Length; t++)
                pending[t] = batch.ListLeftPushAsync(ListPrefix + baseIds[t], lists[t]);
            if (errors is not null)
                for (var e = 0; e < errors.Count; e++)
                    pending[lists.Length + e] = batch.StringSetAsync(ErrorPrefix + errors[e].BaseId, errors[e].Record);
            batch.Execute();
            return Task.WhenAll(pending);
        }, cancellationToken).ConfigureAwait(false);
        // Every command of the batch has been answered (WhenAll waits for all of them, on every attempt): nothing reads
        // the documents any more. After a failure or a cancellation some may still be queued, so the buffer is left to
        // the garbage collector then.
        buffer.Return();
    }

    /// <summary>OSProfiler's error-index value, spaced as Python's <c>json.dumps</c> writes it.</summary>
    internal static string ErrorRecord(string baseId, string timestamp) =>
        $"{{\"base_id\": {JsonSerializer.Serialize(baseId)}, \"timestamp\": {JsonSerializer.Serialize(timestamp)}}}";

    public async IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // An id that could select other keys in a pattern (or is no id at all) names no trace.
        if (!TracePointRules.IsSafeId(baseId)) yield break;

        // Legacy points first, as OSProfiler reads them: keys osprofiler:<base_id>…, one point each.
        // One pool for the trace: the texts its points repeat are held once however many points it has.
        var pool = new StringPool();
        var legacy = await _connection.RunAsync("read a trace from", db => ReadLegacyAsync(db, baseId, pool), cancellationToken)
            .ConfigureAwait(false);
        foreach (var point in legacy) yield return point;

        // Then the list, newest first. Chunks are addressed from the tail, where points pushed meanwhile cannot shift them.
        var key = (RedisKey)(ListPrefix + baseId);
        var (length, chunk) = await _connection.RunAsync("read a trace from", async db =>
        {
            var transaction = db.CreateTransaction();
            var lengthTask = transaction.ListLengthAsync(key);
            var firstTask = transaction.ListRangeAsync(key, 0, ReadChunk - 1);
            await transaction.ExecuteAsync().ConfigureAwait(false);
            return (await lengthTask.ConfigureAwait(false), await firstTask.ConfigureAwait(false));
        }, cancellationToken).ConfigureAwait(false);

        for (long offset = ReadChunk; ; offset += ReadChunk)
        {
            Task<RedisValue[]>? next = null;
            if (offset < length)
            {
                var start = offset - length;
                var stop = Math.Min(offset + ReadChunk, length) - 1 - length;
                next = _connection.RunAsync("read a trace from", db => db.ListRangeAsync(key, start, stop), cancellationToken);
            }
            foreach (var value in chunk) yield return ToPoint(value, pool);
            if (next is null) yield break;
            chunk = await next.ConfigureAwait(false);
        }
    }

    private static StoredPoint ToPoint(RedisValue value, StringPool pool)
    {
        if (value.IsNullOrEmpty) return StoredPoint.Unreadable("empty list element");
        // The value's own array when it holds exactly the document (as read off the wire), else one copy: the report keeps it.
        return StoredPoint.FromDocument((byte[])value!, pool);
    }

    private static async Task<List<StoredPoint>> ReadLegacyAsync(IDatabase db, string baseId, StringPool pool)
    {
        var points = new List<StoredPoint>();
        var keys = await ScanAsync(db, LegacyPrefix + GlobEscape(baseId) + "*").ConfigureAwait(false);
        if (keys.Count == 0) return points;
        var values = await db.StringGetAsync(keys.ToArray()).ConfigureAwait(false);
        foreach (var value in values)
        {
            if (value.IsNullOrEmpty) continue; // deleted since the scan
            ReadOnlyMemory<byte> bytes = value;
            // The key only starts with the base id (osprofiler:abc-1… also matches trace abc-10): check the point's own.
            var summary = PointSummary.Read(bytes.Span);
            if (summary is null) points.Add(StoredPoint.Unreadable("legacy point is not a JSON object"));
            else if (summary.BaseId == baseId) points.Add(StoredPoint.FromDocument(bytes.Span, pool));
        }
        return points;
    }

    public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) =>
        ListAsync(query, query.ErrorsOnly, cancellationToken);

    private async Task<TracePage> ListAsync(TraceListQuery query, bool errorsOnly, CancellationToken cancellationToken)
    {
        var (cursorTicks, cursorId) = ParseCursor(query.Cursor);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var allFields = query.Fields.Any(f => f is not ("base_id" or "timestamp"));
        var traces = await _connection.RunAsync(errorsOnly ? "list error traces in" : "list traces in",
            db => errorsOnly ? CollectErrorTracesAsync(db, allFields) : CollectTracesAsync(db, allFields), cancellationToken)
            .ConfigureAwait(false);

        // Plain loops and a sort of reference-typed entries: a listing runs once per process, and generic code over
        // value types (LINQ's sorter over key/value pairs, say) would be compiled at run time for it first.
        var entries = new List<ListedTrace>(traces.Count);
        foreach (var (baseId, summary) in traces)
            if (cursorId is null || summary.Ticks < cursorTicks
                || (summary.Ticks == cursorTicks && string.CompareOrdinal(baseId, cursorId) < 0))
                entries.Add(new ListedTrace(baseId, summary));
        entries.Sort(ListedTrace.NewestFirst);
        string? next = null;
        var count = Math.Min(entries.Count, query.Limit);
        if (entries.Count > query.Limit)
        {
            var last = entries[count - 1];
            next = $"{(last.Summary.Ticks == PointSummary.NoTime ? "" : last.Summary.Timestamp)}|{last.BaseId}";
        }
        var page = new List<TraceSummary>(count);
        for (var i = 0; i < count; i++)
        {
            var (baseId, summary) = entries[i];
            var fields = new Dictionary<string, string?>(query.Fields.Count, StringComparer.Ordinal);
            foreach (var f in query.Fields)
                fields[f] = f == "base_id" ? baseId : summary.Field(f);
            page.Add(new TraceSummary(baseId, summary.Timestamp ?? "", fields));
        }
        _logger.LogDebug("Listed {Count} of {Total} traces in {Store} in {Elapsed} ms", page.Count, traces.Count,
            _options.Describe(), System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new TracePage(page, next);
    }

    /// <summary>A trace of a listing and its earliest point; <see cref="NewestFirst"/> is the listing's order.</summary>
    private sealed record ListedTrace(string BaseId, PointSummary Summary)
    {
        /// <summary>Newest earliest point first (traces without a time last), then base id descending: a total order, so pages are stable.</summary>
        public static readonly IComparer<ListedTrace> NewestFirst = Comparer<ListedTrace>.Create(static (a, b) =>
        {
            var byTime = b.Summary.Ticks.CompareTo(a.Summary.Ticks);
            return byTime != 0 ? byTime : string.CompareOrdinal(b.BaseId, a.BaseId);
        });
    }

    /// <summary>Trace lists whose earliest timestamps one script call reads: a short, bounded stall of the server each.</summary>
    private const int KeysPerScript = 1000;

    /// <summary>
    /// For each key (a trace list), the <c>timestamp</c> of its earliest point (the tail), decoded server-side: a string,
    /// <c>""</c> when the point has none or is not a JSON object, nil when the list is gone. Sends back some 30 bytes a
    /// trace instead of the whole point.
    /// </summary>
    /// <remarks>
    /// Decoding each point with <c>cjson</c> costs the server some 2 µs a trace on top of the <c>LINDEX</c>; most points
    /// are read with plain searches instead. In valid JSON, <c>"timestamp"</c> right after <c>{</c> or <c>,</c> (and an
    /// optional space) and before <c>:</c> is a key, not text in a string (quotes in strings are escaped). It is the
    /// top-level key when no <c>{</c> but the first comes before it, and the only one when the text <c>"timestamp"</c>
    /// does not occur again; its value is taken when it is a string without escapes. Any other point (a nested object
    /// first, a second <c>"timestamp"</c>, escapes, other spacing, not an object) is decoded with <c>cjson</c>.
    /// The library functions are held in locals and neighbouring bytes read with one call: each global lookup and C
    /// call counts when it runs 20,000 times (about 15 % of the script's time).
    /// </remarks>
    private const string EarliestTimestampsScript = """
        local call, find, byte, sub = redis.call, string.find, string.byte, string.sub
        local out = {}
        for i, key in ipairs(KEYS) do
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
        return out
        """;

    /// <summary>Every trace and its earliest point: the tail of each list, and the earliest legacy point per base id.</summary>
    private static async Task<Dictionary<string, PointSummary>> CollectTracesAsync(IDatabase db, bool allFields)
    {
        if (!allFields)
        {
            try
            {
                return await CollectTraceTimestampsAsync(db).ConfigureAwait(false);
            }
            catch (RedisServerException)
            {
                // Scripts refused (ACL without EVAL, scripting disabled): read the earliest points themselves.
            }
        }

        var lists = new List<(string BaseId, Task<RedisValue> Earliest)>();
        var legacy = new List<Task<RedisValue>>();
        await ScanAsync(db, AllKeysPattern, keys =>
        {
            // Reads of one scan page go out together while the next page is scanned.
            var batch = db.CreateBatch();
            foreach (var key in keys)
            {
                var name = key.ToString();
                if (name.StartsWith(ListPrefix, StringComparison.Ordinal))
                    lists.Add((name[ListPrefix.Length..], batch.ListGetByIndexAsync(key, -1)));
                else if (name.StartsWith(LegacyPrefix, StringComparison.Ordinal))
                    legacy.Add(batch.StringGetAsync(key));
            }
            batch.Execute();
        }).ConfigureAwait(false);

        var traces = new Dictionary<string, PointSummary>(lists.Count, StringComparer.Ordinal);
        foreach (var task in legacy)
        {
            var value = await ValueOrNullAsync(task).ConfigureAwait(false);
            if (value.IsNullOrEmpty) continue;
            ReadOnlyMemory<byte> bytes = value;
            if (PointSummary.Read(bytes.Span, allFields) is { BaseId: { } baseId } summary && TracePointRules.IsSafeId(baseId))
                Keep(traces, baseId, summary);
        }
        foreach (var (baseId, task) in lists)
        {
            var value = await ValueOrNullAsync(task).ConfigureAwait(false);
            if (value.IsNull || !TracePointRules.IsSafeId(baseId)) continue; // emptied since the scan, or unreadable by id
            ReadOnlyMemory<byte> bytes = value;
            Keep(traces, baseId, PointSummary.Read(bytes.Span, allFields) ?? new PointSummary());
        }
        return traces;
    }

    /// <summary>
    /// Every trace and the timestamp of its earliest point, for a listing that shows nothing else: as
    /// <see cref="CollectTracesAsync"/>, with the timestamps of list tails picked out by a server-side script.
    /// </summary>
    private static async Task<Dictionary<string, PointSummary>> CollectTraceTimestampsAsync(IDatabase db)
    {
        var lists = new List<(string[] BaseIds, Task<RedisResult> Timestamps)>();
        var legacy = new List<Task<RedisValue>>();
        await ScanAsync(db, AllKeysPattern, keys =>
        {
            var batch = db.CreateBatch();
            var listKeys = new RedisKey[keys.Length];
            var listIds = new string[keys.Length];
            var listed = 0;
            foreach (var key in keys)
            {
                var name = key.ToString();
                if (name.StartsWith(ListPrefix, StringComparison.Ordinal))
                {
                    listKeys[listed] = key;
                    listIds[listed++] = name[ListPrefix.Length..];
                }
                else if (name.StartsWith(LegacyPrefix, StringComparison.Ordinal)) legacy.Add(batch.StringGetAsync(key));
            }
            for (var start = 0; start < listed; start += KeysPerScript)
            {
                var chunk = new RedisKey[Math.Min(KeysPerScript, listed - start)];
                var baseIds = new string[chunk.Length];
                Array.Copy(listKeys, start, chunk, 0, chunk.Length);
                Array.Copy(listIds, start, baseIds, 0, chunk.Length);
                lists.Add((baseIds, batch.ScriptEvaluateAsync(EarliestTimestampsScript, chunk)));
            }
            batch.Execute();
        }).ConfigureAwait(false);

        var traces = new Dictionary<string, PointSummary>(lists.Count * KeysPerScript, StringComparer.Ordinal);
        foreach (var task in legacy)
        {
            var value = await task.ConfigureAwait(false);
            if (value.IsNullOrEmpty) continue;
            ReadOnlyMemory<byte> bytes = value;
            if (PointSummary.Read(bytes.Span, allFields: false) is { BaseId: { } baseId } summary && TracePointRules.IsSafeId(baseId))
                Keep(traces, baseId, summary);
        }
        foreach (var (baseIds, task) in lists)
        {
            var timestamps = (RedisResult[])(await task.ConfigureAwait(false))!;
            for (var i = 0; i < baseIds.Length && i < timestamps.Length; i++)
            {
                if (timestamps[i].IsNull || !TracePointRules.IsSafeId(baseIds[i])) continue; // emptied since the scan, or unreadable by id
                var timestamp = (string?)timestamps[i];
                Keep(traces, baseIds[i], PointSummary.FromTimestamp(string.IsNullOrEmpty(timestamp) ? null : timestamp));
            }
        }
        return traces;
    }

    /// <summary>The traces in the error index, each with its earliest point (or the index record when it has no list).</summary>
    private static async Task<Dictionary<string, PointSummary>> CollectErrorTracesAsync(IDatabase db, bool allFields)
    {
        var errorIds = new List<string>();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        await ScanAsync(db, AllKeysPattern, keys =>
        {
            foreach (var key in keys)
            {
                var name = key.ToString();
                if (name.StartsWith(ErrorPrefix, StringComparison.Ordinal)) errorIds.Add(name[ErrorPrefix.Length..]);
                else if (name.StartsWith(ListPrefix, StringComparison.Ordinal)) listed.Add(name[ListPrefix.Length..]);
            }
        }).ConfigureAwait(false);

        var batch = db.CreateBatch();
        var reads = errorIds.Distinct(StringComparer.Ordinal).Where(TracePointRules.IsSafeId)
            .Select(id => (BaseId: id, InList: listed.Contains(id),
                Value: listed.Contains(id) ? batch.ListGetByIndexAsync(ListPrefix + id, -1) : batch.StringGetAsync(ErrorPrefix + id)))
            .ToList();
        batch.Execute();

        var traces = new Dictionary<string, PointSummary>(reads.Count, StringComparer.Ordinal);
        foreach (var (baseId, inList, task) in reads)
        {
            var value = await ValueOrNullAsync(task).ConfigureAwait(false);
            if (value.IsNull) continue;
            ReadOnlyMemory<byte> bytes = value;
            traces[baseId] = inList
                ? PointSummary.Read(bytes.Span, allFields) ?? new PointSummary()
                : PointSummary.FromErrorRecord(baseId, bytes.Span);
        }
        return traces;
    }

    /// <summary>
    /// The value a listing read, or null for a key that holds another type than the schema's (<c>WRONGTYPE</c>: a
    /// foreign or damaged key under an <c>osprofiler</c> prefix), so that one such key does not break the listing.
    /// </summary>
    private static async Task<RedisValue> ValueOrNullAsync(Task<RedisValue> read)
    {
        try
        {
            return await read.ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
        {
            return RedisValue.Null;
        }
    }

    private static void Keep(Dictionary<string, PointSummary> traces, string baseId, PointSummary candidate)
    {
        if (!traces.TryGetValue(baseId, out var current)
            || (candidate.Ticks != PointSummary.NoTime && (current.Ticks == PointSummary.NoTime || candidate.Ticks < current.Ticks)))
            traces[baseId] = candidate;
    }

    private static (long Ticks, string? BaseId) ParseCursor(string? cursor)
    {
        if (cursor is null) return (0, null);
        var bar = cursor.IndexOf('|');
        if (bar < 0 || bar == cursor.Length - 1)
            throw new FormatException($"cursor '{TracePointRules.Show(cursor)}' is not one this store gave out");
        if (bar == 0) return (PointSummary.NoTime, cursor[1..]);
        if (!TraceTimestamp.TryParse(cursor.AsSpan(0, bar), out var ts))
            throw new FormatException($"cursor '{TracePointRules.Show(cursor)}' is not one this store gave out");
        return (ts.Ticks, cursor[(bar + 1)..]);
    }

    private static async Task<List<RedisKey>> ScanAsync(IDatabase db, string pattern)
    {
        var keys = new List<RedisKey>();
        await ScanAsync(db, pattern, keys.AddRange).ConfigureAwait(false);
        return keys;
    }

    /// <summary>
    /// SCAN the whole keyspace for <paramref name="pattern"/>, handing each page to <paramref name="page"/>. The next
    /// SCAN is sent before a page is handed over, so that the server scans while the client works on the page (and
    /// whatever the page's handler sends goes after it).
    /// </summary>
    private static async Task ScanAsync(IDatabase db, string pattern, Action<RedisKey[]> page)
    {
        Task<RedisResult> Scan(string cursor) =>
            db.ExecuteAsync("SCAN", [cursor, "MATCH", pattern, "COUNT", ScanCount], CommandFlags.DemandMaster);

        var pending = Scan("0");
        while (true)
        {
            var parts = (RedisResult[])(await pending.ConfigureAwait(false))!;
            var cursor = parts[0].ToString();
            var keys = (RedisKey[])parts[1]!;
            var more = cursor != "0";
            if (more) pending = Scan(cursor);
            if (keys.Length > 0) page(keys);
            if (!more) return;
        }
    }

    /// <summary>
    /// Deletes each trace's list and error-index record (one <c>DEL</c> per trace, pipelined), and, when the legacy
    /// schema is present, its legacy point keys (found by one <c>SCAN</c> and checked by the point's own base id).
    /// </summary>
    public async Task<int> DeleteTracesAsync(IReadOnlyList<string> baseIds, CancellationToken cancellationToken)
    {
        var ids = baseIds.Where(TracePointRules.IsSafeId).ToHashSet(StringComparer.Ordinal);
        if (ids.Count == 0) return 0;
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(1000))
        {
            var counts = await _connection.RunAsync("delete traces from", db =>
            {
                var batch = db.CreateBatch();
                var pending = chunk.Select(id => batch.KeyDeleteAsync([ListPrefix + id, ErrorPrefix + id])).ToArray();
                batch.Execute();
                return Task.WhenAll(pending);
            }, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++)
                if (counts[i] > 0) deleted.Add(chunk[i]);
        }
        await _connection.RunAsync("delete traces from", async db =>
        {
            var legacy = await ScanAsync(db, LegacyPrefix + "*").ConfigureAwait(false);
            if (legacy.Count == 0) return;
            var keys = legacy.ToArray();
            var values = await db.StringGetAsync(keys).ConfigureAwait(false);
            var doomed = new List<RedisKey>();
            for (var i = 0; i < keys.Length; i++)
            {
                if (values[i].IsNullOrEmpty) continue;
                ReadOnlyMemory<byte> bytes = values[i];
                if (PointSummary.Read(bytes.Span, allFields: false) is { BaseId: { } id } && ids.Contains(id))
                {
                    doomed.Add(keys[i]);
                    deleted.Add(id);
                }
            }
            foreach (var chunk in doomed.Chunk(1000))
                await db.KeyDeleteAsync(chunk).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return deleted.Count;
    }

    /// <summary>Escapes Redis glob characters (<c>* ? [ ] \ ^</c>) so the text matches only itself in a pattern.</summary>
    internal static string GlobEscape(string text)
    {
        var sb = new StringBuilder(text.Length + 4);
        foreach (var c in text)
        {
            if (c is '*' or '?' or '[' or ']' or '\\' or '^') sb.Append('\\');
            sb.Append(c);
        }
        return sb.ToString();
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
