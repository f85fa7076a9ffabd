using System.Text;
using Microsoft.Extensions.Logging;
using Profiler.Storage;
using StackExchange.Redis;
using static Profiler.Infrastructure.Redis.RedisSchema;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Lists traces newest first by their earliest point, from one pipelined <c>SCAN</c> of the keyspace (of every primary
/// of a Redis Cluster: each trace list lives on one of them, and the listing merges them all before it orders and
/// pages, so the cursor, a position in that order, does not depend on which primary holds a trace): every trace, or
/// (<see cref="TraceListQuery.ErrorsOnly"/>) the traces of the <c>osprofiler_error:</c> index (contract decision D5:
/// Redis cannot query points for errors, so what <c>filter_error_trace</c> indexed when they were written is listed).
/// </summary>
/// <remarks>
/// A trace's earliest point (contract decision D3) is its list's tail, the point stored first (<c>LPUSH</c> puts the
/// newest at the head): on a timestamp tie that is the one stored first. Its legacy points, when it has any, compete
/// by timestamp, a list point winning only with a strictly earlier one.
/// </remarks>
internal sealed class RedisTraceLister(RedisStoreOptions options, RedisConnection connection, ILogger logger)
{
    /// <summary>Trace lists whose earliest timestamps one script call reads: a short, bounded stall of the server each.</summary>
    private const int KeysPerScript = 1000;

    /// <summary>The fields of a row when the listing asks for none: shared, and never written to.</summary>
    private static readonly IReadOnlyDictionary<string, string?> NoFields =
        new System.Collections.ObjectModel.ReadOnlyDictionary<string, string?>(new Dictionary<string, string?>(StringComparer.Ordinal));

    /// <summary>A page of the listing, its rows as the keyspace gives them (no summaries).</summary>
    public Task<TracePage> ListAsync(TraceListQuery query, CancellationToken cancellationToken) =>
        ListAsync(query, static (rows, _) => Task.FromResult(rows), cancellationToken);

    /// <summary>
    /// A page of the listing, its rows passed through <paramref name="enrich"/> (the store's summaries), in their order.
    /// </summary>
    /// <remarks>
    /// When every trace fits the page (a listing of them all), the rows go to <paramref name="enrich"/> before they are
    /// sorted, and the server reads their summaries while the client sorts; otherwise only the page's rows go, once sorted.
    /// </remarks>
    public async Task<TracePage> ListAsync(TraceListQuery query,
        Func<IReadOnlyList<TraceSummary>, CancellationToken, Task<IReadOnlyList<TraceSummary>>> enrich, CancellationToken cancellationToken)
    {
        var (cursorTicks, cursorId) = ListingCursor.Parse(query.Cursor);
        var errorsOnly = query.ErrorsOnly;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var allFields = query.Fields.Any(f => f is not ("base_id" or "timestamp"));
        var traces = await connection.RunAsync(errorsOnly ? "list error traces in" : "list traces in",
            db => errorsOnly ? CollectErrorTracesAsync(db, allFields) : CollectTracesAsync(db, allFields), cancellationToken)
            .ConfigureAwait(false);

        // Plain loops and a sort of reference-typed entries: a listing runs once per process, and generic code over
        // value types (LINQ's sorter over key/value pairs, say) would be compiled at run time for it first.
        var entries = new List<ListedTrace>(traces.Count);
        foreach (var (baseId, summary) in traces)
            if (cursorId is null || summary.Ticks < cursorTicks
                || (summary.Ticks == cursorTicks && string.CompareOrdinal(baseId, cursorId) < 0))
                entries.Add(new ListedTrace(baseId, summary));
        Task<IReadOnlyList<TraceSummary>>? enriched = null;
        if (entries.Count <= query.Limit)
        {
            var unsorted = new TraceSummary[entries.Count];
            for (var i = 0; i < unsorted.Length; i++)
            {
                entries[i].Position = i;
                unsorted[i] = Row(query, entries[i]);
            }
            enriched = enrich(unsorted, cancellationToken);
        }
        entries.Sort(ListedTrace.NewestFirst);
        string? next = null;
        var count = Math.Min(entries.Count, query.Limit);
        if (entries.Count > query.Limit)
        {
            var last = entries[count - 1];
            next = ListingCursor.Format(last.Summary.Ticks, last.BaseId);
        }
        IReadOnlyList<TraceSummary> page;
        if (enriched is not null)
        {
            var rows = await enriched.ConfigureAwait(false);
            var sorted = new TraceSummary[count];
            for (var i = 0; i < count; i++) sorted[i] = rows[entries[i].Position];
            page = sorted;
        }
        else
        {
            var rows = new TraceSummary[count];
            for (var i = 0; i < count; i++) rows[i] = Row(query, entries[i]);
            page = await enrich(rows, cancellationToken).ConfigureAwait(false);
        }
        if (logger.IsEnabled(LogLevel.Debug))
            Log.Listed(logger, page.Count, traces.Count, options.Describe(),
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return new TracePage(page, next);
    }

    /// <summary>The listing's row of a trace: its base id, its earliest point's timestamp and the fields the query asks for.</summary>
    private static TraceSummary Row(TraceListQuery query, ListedTrace entry)
    {
        var (baseId, summary) = entry;
        // No extra fields (a listing that shows none, as the CLI's): one empty map for every row.
        IReadOnlyDictionary<string, string?> fields = NoFields;
        if (query.Fields.Count > 0)
        {
            var values = new Dictionary<string, string?>(query.Fields.Count, StringComparer.Ordinal);
            foreach (var f in query.Fields)
                values[f] = f == "base_id" ? baseId : summary.Field(f);
            fields = values;
        }
        return new TraceSummary(baseId, summary.Timestamp ?? "", fields);
    }

    /// <summary>A trace of a listing and its earliest point; <see cref="NewestFirst"/> is the listing's order.</summary>
    private sealed record ListedTrace(string BaseId, PointSummary Summary)
    {
        /// <summary>Where the trace was before the sort (its row's place in what went to be enriched early).</summary>
        public int Position { get; set; }

        /// <summary>Newest earliest point first (traces without a time last), then base id descending: a total order, so pages are stable.</summary>
        public static readonly IComparer<ListedTrace> NewestFirst = Comparer<ListedTrace>.Create(static (a, b) =>
        {
            var byTime = b.Summary.Ticks.CompareTo(a.Summary.Ticks);
            return byTime != 0 ? byTime : string.CompareOrdinal(b.BaseId, a.BaseId);
        });
    }

    /// <summary>Every trace and its earliest point: the tail of each list, and the earliest legacy point per base id.</summary>
    private async Task<Dictionary<string, PointSummary>> CollectTracesAsync(IDatabase db, bool allFields)
    {
        if (!allFields)
        {
            try
            {
                return await CollectTraceTimestampsAsync(db).ConfigureAwait(false);
            }
            catch (RedisServerException e)
            {
                // Scripts refused (an ACL without EVAL: NoPermission; scripting disabled: UnknownCommand), failing on
                // a key of another type under the list prefix (WrongType) or, on a cluster, on a list no longer on the
                // node that listed it (its slot migrated): read the earliest points themselves, which copes with each.
                if (logger.IsEnabled(LogLevel.Debug)) Log.ScriptRefused(logger, options.Describe(), e.Kind);
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
    /// <see cref="CollectTracesAsync"/>, with the timestamps of list tails picked out by <c>Scripts/EarliestTimestamps.lua</c>:
    /// on one server with the lists as its keys, on a Redis Cluster (where a script's keys must share one slot) sent to the
    /// primary whose SCAN found the lists, with their names as arguments.
    /// </summary>
    private static async Task<Dictionary<string, PointSummary>> CollectTraceTimestampsAsync(IDatabase db)
    {
        var lists = new List<(string[] BaseIds, Task<RedisResult> Timestamps)>();
        var legacy = new List<Task<RedisValue>>();
        await ScanAsync(db, AllKeysPattern, (primary, keys) =>
        {
            var batch = db.CreateBatch();
            var listKeys = new RedisKey[keys.Length];
            var listIds = new string[keys.Length];
            var listed = 0;
            foreach (var key in keys)
            {
                // The name's bytes as the scan gave them: the base id is decoded once, without the whole name first.
                byte[]? name = key;
                if (name is null) continue;
                if (name.AsSpan().StartsWith(ListPrefixUtf8))
                {
                    listKeys[listed] = key;
                    listIds[listed++] = Encoding.UTF8.GetString(name, ListPrefixUtf8.Length, name.Length - ListPrefixUtf8.Length);
                }
                else if (name.AsSpan().StartsWith(LegacyPrefixUtf8)) legacy.Add(batch.StringGetAsync(key));
            }
            for (var start = 0; start < listed; start += KeysPerScript)
            {
                var chunk = new RedisKey[Math.Min(KeysPerScript, listed - start)];
                var baseIds = new string[chunk.Length];
                Array.Copy(listKeys, start, chunk, 0, chunk.Length);
                Array.Copy(listIds, start, baseIds, 0, chunk.Length);
                lists.Add((baseIds, primary is null
                    ? RedisScripts.Eval(batch, RedisScripts.EarliestTimestamps, chunk, [])
                    : RedisScripts.EvalOn(primary, RedisScripts.EarliestTimestamps, Array.ConvertAll(chunk, k => (RedisValue)(byte[])k!))));
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
            ReadOnlyMemory<byte> reply = (RedisValue)await task.ConfigureAwait(false);
            ReadTimestamps(reply.Span, baseIds, traces);
        }
        return traces;
    }

    private static readonly byte[] ListPrefixUtf8 = Encoding.UTF8.GetBytes(ListPrefix);
    private static readonly byte[] LegacyPrefixUtf8 = Encoding.UTF8.GetBytes(LegacyPrefix);

    /// <summary>
    /// Reads one reply of <c>EarliestTimestamps.lua</c> (MessagePack: a string or false per list of <paramref name="baseIds"/>)
    /// into <paramref name="traces"/>: a trace whose list is gone (emptied since the scan) or whose id is not safe is left out.
    /// </summary>
    internal static void ReadTimestamps(ReadOnlySpan<byte> reply, string[] baseIds, Dictionary<string, PointSummary> traces)
    {
        const string script = "EarliestTimestamps.lua";
        var at = 0;
        var count = PackedReply.Array(reply, ref at, script);
        for (var i = 0; i < count; i++)
        {
            var (start, length) = PackedReply.String(reply, ref at, script);
            if (length < 0 || i >= baseIds.Length || !TracePointRules.IsSafeId(baseIds[i])) continue;
            Keep(traces, baseIds[i], PointSummary.FromTimestamp(length == 0 ? null : Encoding.UTF8.GetString(reply.Slice(start, length))));
        }
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
    /// The value a listing read, or null for a key that holds another type than the schema's (a foreign or damaged
    /// key under an <c>osprofiler</c> prefix), so that one such key does not break the listing.
    /// </summary>
    private static async Task<RedisValue> ValueOrNullAsync(Task<RedisValue> read)
    {
        try
        {
            return await read.ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Kind == RedisErrorKind.WrongType)
        {
            return RedisValue.Null;
        }
    }

    /// <summary>Keeps <paramref name="candidate"/> when it is earlier than the trace's point so far: on a tie, the one seen first stays.</summary>
    private static void Keep(Dictionary<string, PointSummary> traces, string baseId, PointSummary candidate)
    {
        if (!traces.TryGetValue(baseId, out var current)
            || (candidate.Ticks != PointSummary.NoTime && (current.Ticks == PointSummary.NoTime || candidate.Ticks < current.Ticks)))
            traces[baseId] = candidate;
    }
}
