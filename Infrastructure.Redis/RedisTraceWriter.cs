using System.Text.Json;
using Profiler.Domain;
using Profiler.Storage;
using StackExchange.Redis;
using static Profiler.Infrastructure.Redis.RedisSchema;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Writes batches of points: one pipelined <c>LPUSH</c> per trace of the batch, and with <c>filter_error_trace</c> an
/// <c>osprofiler_error:</c> index record per failed point, all in one round trip. With <c>ttl</c> the same batch ends
/// with one <c>Scripts/ExpireUnpinned.lua</c> call giving every key it touched its expiry unless the trace is pinned.
/// Last comes one <c>Scripts/Summarise.lua</c> call merging each trace's digest into its search summary (docs/search.md).
/// </summary>
internal sealed class RedisTraceWriter(RedisStoreOptions options, RedisConnection connection)
{
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
        var ranges = TracePointJson.WriteAll(buffer, points, options.Project, options.Service, options.Host);
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
            if (options.FilterErrorTrace && point.Info is not null
                && point.Info.TryGetPropertyValue("etype", out var etype) && etype is not null)
                (errors ??= []).Add((point.BaseId, ErrorRecord(point.BaseId, point.Timestamp)));
        }

        var digests = TraceDigest.OfBatch(points, new DriverSettings { Project = options.Project, Service = options.Service, Host = options.Host });
        await connection.RunAsync("write trace points to", db =>
        {
            var batch = db.CreateBatch();
            var pending = new Task[lists.Length + (errors?.Count ?? 0) + (options.TtlSeconds is null ? 0 : 1)];
            for (var t = 0; t < lists.Length; t++)
                pending[t] = batch.ListLeftPushAsync(ListPrefix + baseIds[t], lists[t]);
            if (errors is not null)
                for (var e = 0; e < errors.Count; e++)
                    pending[lists.Length + e] = batch.StringSetAsync(ErrorPrefix + errors[e].BaseId, errors[e].Record);
            if (options.TtlSeconds is { } ttl)
                pending[^1] = ExpireUnpinned(batch, baseIds, errors, ttl);
            // The search summaries (docs/search.md): one Summarise.lua for every trace of the write, after the points, in the same batch.
            Task[] summaries = _summariesRefused ? [] : [RedisSearch.QueueSummarise(batch, digests, options.TtlSeconds, "merge")];
            batch.Execute();
            return WhenStoredAsync(pending, summaries);
        }, cancellationToken).ConfigureAwait(false);
        // Every command of the batch has been answered (WhenAll waits for all of them, on every attempt): nothing reads
        // the documents any more. After a failure or a cancellation some may still be queued, so the buffer is left to
        // the garbage collector then.
        buffer.Return();
    }

    /// <summary>
    /// Waits for the points, then for their summaries: a failure to store points is the write's failure. A server
    /// that refuses scripts (an ACL without <c>EVAL</c>, scripting disabled) stores the points without summaries, and
    /// the writer stops sending them; a search then says why it cannot run.
    /// </summary>
    private async Task WhenStoredAsync(Task[] points, Task[] summaries)
    {
        await Task.WhenAll(points).ConfigureAwait(false);
        try
        {
            await Task.WhenAll(summaries).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Kind is RedisErrorKind.NoPermission or RedisErrorKind.UnknownCommand)
        {
            _summariesRefused = true;
        }
    }

    private volatile bool _summariesRefused;

    /// <summary>Queues <c>ExpireUnpinned.lua</c> for every list and error key of the batch.</summary>
    private static Task<RedisResult> ExpireUnpinned(IBatch batch, List<string> baseIds, List<(string BaseId, string Record)>? errors, long ttl)
    {
        var errorIds = errors is null ? [] : errors.Select(e => e.BaseId).Distinct(StringComparer.Ordinal).ToArray();
        var keys = new RedisKey[1 + baseIds.Count + errorIds.Length];
        var values = new RedisValue[keys.Length];
        keys[0] = PinnedKey;
        values[0] = ttl;
        for (var t = 0; t < baseIds.Count; t++)
        {
            keys[1 + t] = ListPrefix + baseIds[t];
            values[1 + t] = baseIds[t];
        }
        for (var e = 0; e < errorIds.Length; e++)
        {
            keys[1 + baseIds.Count + e] = ErrorPrefix + errorIds[e];
            values[1 + baseIds.Count + e] = errorIds[e];
        }
        return RedisScripts.Eval(batch, RedisScripts.ExpireUnpinned, keys, values);
    }

    /// <summary>OSProfiler's error-index value, spaced as Python's <c>json.dumps</c> writes it.</summary>
    internal static string ErrorRecord(string baseId, string timestamp) =>
        $"{{\"base_id\": {JsonSerializer.Serialize(baseId)}, \"timestamp\": {JsonSerializer.Serialize(timestamp)}}}";
}
