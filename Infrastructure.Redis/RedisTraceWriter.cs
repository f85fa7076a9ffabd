using System.Text.Json;
using Profiler.Domain;
using Profiler.Storage;
using StackExchange.Redis;
using static Profiler.Infrastructure.Redis.RedisSchema;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Writes batches of points, exactly once: one pipelined <c>EVALSHA</c> of <c>Scripts/WriteTrace.lua</c> per trace of
/// the batch (its batch key <c>SET NX</c> and, only when it was set, the <c>LPUSH</c>; <see cref="RedisSchema.BatchKey"/>), and with <c>filter_error_trace</c> an
/// <c>osprofiler_error:</c> index record per failed point, all in one round trip. With <c>ttl</c> the same batch ends
/// with one <c>Scripts/ExpireUnpinned.lua</c> call giving every key it touched its expiry unless the trace is pinned.
/// Last comes one <c>Scripts/Summarise.lua</c> call merging each newly stored trace's digest into its search summary
/// (docs/search.md).
/// </summary>
internal sealed class RedisTraceWriter(RedisStoreOptions options, RedisConnection connection)
{
    /// <summary>What a point without its own project, service or host gets, for the digests.</summary>
    private readonly DriverSettings _defaults = new() { Project = options.Project, Service = options.Service, Host = options.Host };

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken)
    {
        if (points.Count == 0) return;
        // One LPUSH per trace with its points in batch order: the list ends up as if each point were pushed in turn.
        // First each point's trace, its base id checked when the trace is first seen (consecutive points mostly share
        // one string: it is looked up only when it changes). Nothing is sent unless every base id is safe.
        var traceOf = new int[points.Count];
        var traceIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var baseIds = new List<string>();
        var counts = new List<int>();
        // The search summaries' digests, one per trace in the same order, filled in the same pass; none once the server
        // refused the summary script (nothing would send them).
        var summarise = !_summariesRefused;
        var digests = new List<TraceDigest>();
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
                    if (summarise) digests.Add(new TraceDigest(baseId));
                }
                previousId = baseId;
            }
            traceOf[i] = previous;
            counts[previous]++;
            if (summarise) digests[previous].Add(points[i], _defaults);
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

        // Exactly once: each trace's points go with the batch key to WriteTrace.lua. A server that lacks the script
        // (restarted, SCRIPT FLUSH, a new master) answers NOSCRIPT: the script is loaded and the whole batch sent
        // again, which the batch keys make safe (traces already stored push nothing).
        var scripts = new object[lists.Length][];
        for (var t = 0; t < lists.Length; t++)
        {
            var args = scripts[t] = new object[5 + lists[t].Length];
            args[0] = RedisScripts.WriteTraceSha;
            args[1] = 2;
            args[2] = (RedisKey)(ListPrefix + baseIds[t]);
            args[3] = (RedisKey)BatchKey(baseIds[t], batchId);
            args[4] = BatchKeySeconds;
            for (var i = 0; i < lists[t].Length; i++) args[5 + i] = lists[t][i];
        }
        var stored = await connection.RunAsync("write trace points to", db => SendAsync(db, baseIds, scripts, errors, digests, batchId), cancellationToken, retryTimeout: false).ConfigureAwait(false);
        if (!stored)
        {
            await connection.RunAsync("load the write script into", LoadWriteScriptAsync, cancellationToken).ConfigureAwait(false);
            if (!await connection.RunAsync("write trace points to", db => SendAsync(db, baseIds, scripts, errors, digests, batchId), cancellationToken, retryTimeout: false).ConfigureAwait(false))
                throw new TraceStoreException($"Could not write trace points to {options.Describe()}: the server answered NOSCRIPT right after SCRIPT LOAD.");
        }
        // Every command of the batch has been answered (WhenAll waits for all of them, on every attempt): nothing reads
        // the documents any more. After a failure or a cancellation some may still be queued, so the buffer is left to
        // the garbage collector then.
        buffer.Return();
    }

    /// <summary>
    /// <c>SCRIPT LOAD</c> of <c>WriteTrace.lua</c>: on a cluster into every primary (each keeps its own script cache, and
    /// a replica promoted by a failover starts with an empty one).
    /// </summary>
    private static async Task LoadWriteScriptAsync(IDatabase db)
    {
        if (!RedisTopology.IsCluster(db.Multiplexer))
        {
            await db.ExecuteAsync("SCRIPT", "LOAD", RedisScripts.WriteTrace).ConfigureAwait(false);
            return;
        }
        await Task.WhenAll(db.Multiplexer.GetServers().Where(s => s.IsConnected && !s.IsReplica)
            .Select(s => s.ExecuteAsync("SCRIPT", "LOAD", RedisScripts.WriteTrace))).ConfigureAwait(false);
    }

    /// <summary>
    /// One round trip: an <c>EVALSHA</c> of <c>WriteTrace.lua</c> per trace, then the error records and the expiry, and
    /// last the search summaries (docs/search.md): one <c>Summarise.lua</c> for every trace of the write, which merges a
    /// trace's digest only when this write's <c>WriteTrace.lua</c> stored its points (it claims the batch key
    /// <c>WriteTrace.lua</c> set to <c>new</c>), so a retried batch is summarised once too. False when the server lacked
    /// the write script (<c>NOSCRIPT</c>). On a cluster the index writes the summaries hand back follow in a second round
    /// trip to the index slot (<see cref="RedisSearch.ApplyIndexWritesAsync"/>).
    /// </summary>
    private async Task<bool> SendAsync(IDatabase db, List<string> baseIds, object[][] scripts, List<(string BaseId, string Record)>? errors,
        IReadOnlyList<TraceDigest> digests, Guid batchId)
    {
        var keyspace = RedisKeyspace.For(db.Multiplexer);
        var batch = db.CreateBatch();
        var pending = new List<Task>(scripts.Length + (errors?.Count ?? 0) + 1);
        for (var t = 0; t < scripts.Length; t++)
            pending.Add(batch.ExecuteAsync("EVALSHA", scripts[t]));
        if (errors is not null)
            for (var e = 0; e < errors.Count; e++)
                pending.Add(batch.StringSetAsync(ErrorPrefix + errors[e].BaseId, errors[e].Record));
        if (options.TtlSeconds is { } ttl)
            pending.AddRange(ExpireUnpinned(batch, keyspace, baseIds, errors, ttl));
        var summaries = _summariesRefused ? [] : RedisSearch.QueueSummarise(batch, keyspace, digests, options.TtlSeconds, "merge", batchId);
        batch.Execute();
        try
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
            await WhenSummarisedAsync(db, keyspace, summaries).ConfigureAwait(false);
            return true;
        }
        catch (RedisServerException) when (pending.Exists(p => p.Exception?.InnerException is RedisServerException { Kind: RedisErrorKind.NoScript }))
        {
            return false;
        }
        catch (RedisServerException e) when (e.Kind is not (RedisErrorKind.ReadOnly or RedisErrorKind.MasterDown or RedisErrorKind.OutOfMemory
                                                         or RedisErrorKind.NoAuth or RedisErrorKind.WrongPass)
                                             && pending.Take(scripts.Length).Any(p => p.IsFaulted))
        {
            // A command refused inside the script carries the script's error, not the command's kind: say what it runs.
            var failure = connection.Failure("write trace points to", e);
            throw new TraceStoreException(
                failure.Message + " Scripts/WriteTrace.lua runs SET and LPUSH: check that the server's ACL lets this user run " +
                "them, EVALSHA and SCRIPT LOAD, and that each osprofiler_opt: key is a list.", failure.InnerException);
        }
    }

    /// <summary>
    /// Waits for the summaries once the points are stored. A server that refuses scripts for search (an ACL without
    /// <c>EVAL</c>, scripting disabled) keeps the points without summaries, and the writer stops sending them; a search
    /// then says why it cannot run.
    /// </summary>
    private async Task WhenSummarisedAsync(IDatabase db, RedisKeyspace keyspace, Task<RedisResult>[] summaries)
    {
        try
        {
            await Task.WhenAll(summaries).ConfigureAwait(false);
            await RedisSearch.ApplyIndexWritesAsync(db, keyspace, summaries).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (e.Kind is RedisErrorKind.NoPermission or RedisErrorKind.UnknownCommand)
        {
            _summariesRefused = true;
        }
    }

    private volatile bool _summariesRefused;

    /// <summary>
    /// Queues <c>ExpireUnpinned.lua</c> for every list and error key of the batch: one call with the pinned set on a
    /// single server; on a cluster one call per hash slot, each key beside its pin mark.
    /// </summary>
    private static Task<RedisResult>[] ExpireUnpinned(IBatch batch, RedisKeyspace keyspace, List<string> baseIds,
        List<(string BaseId, string Record)>? errors, long ttl)
    {
        var errorIds = errors is null ? [] : errors.Select(e => e.BaseId).Distinct(StringComparer.Ordinal).ToArray();
        var touched = new List<(string Key, string BaseId)>(baseIds.Count + errorIds.Length);
        foreach (var id in baseIds) touched.Add((ListPrefix + id, id));
        foreach (var id in errorIds) touched.Add((ErrorPrefix + id, id));
        if (keyspace.Cluster)
            return RedisTopology.BySlot(batch.Multiplexer, touched, t => t.Key).Select(group =>
                RedisScripts.Eval(batch, RedisScripts.ExpireUnpinned,
                    [.. group.SelectMany(t => new RedisKey[] { t.Key, RedisKeyspace.PinMarker(t.Key) })], [ttl, "mark"])).ToArray();
        var keys = new RedisKey[1 + touched.Count];
        var values = new RedisValue[2 + touched.Count];
        keys[0] = keyspace.Pinned;
        values[0] = ttl;
        values[1] = "set";
        for (var i = 0; i < touched.Count; i++)
        {
            keys[1 + i] = touched[i].Key;
            values[2 + i] = touched[i].BaseId;
        }
        return [RedisScripts.Eval(batch, RedisScripts.ExpireUnpinned, keys, values)];
    }

    /// <summary>OSProfiler's error-index value, spaced as Python's <c>json.dumps</c> writes it.</summary>
    internal static string ErrorRecord(string baseId, string timestamp) =>
        $"{{\"base_id\": {JsonSerializer.Serialize(baseId)}, \"timestamp\": {JsonSerializer.Serialize(timestamp)}}}";
}
