using System.Text.Json;
using Profiler.Domain;
using Profiler.Storage;
using StackExchange.Redis;
using static Profiler.Infrastructure.Redis.RedisSchema;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Writes batches of points, exactly once, with their search summaries: one <c>EVALSHA</c> of
/// <c>Scripts/WriteTrace.lua</c> per write (per hash slot of the write on a cluster) sets the call's one batch key
/// (<see cref="RedisSchema.BatchKey"/>) and, only when it was not set before, pushes each trace's points and merges its
/// digest into its summary; with <c>filter_error_trace</c> an <c>osprofiler_error:</c> index record per failed point
/// follows, all in one round trip. With <c>ttl</c> the same batch ends with <c>Scripts/ExpireUnpinned.lua</c> giving
/// every key it touched its expiry unless the trace is pinned.
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

        // Exactly once: the points go with each trace's batch key to WriteTrace.lua. A server that lacks the script
        // (restarted, SCRIPT FLUSH, a new master) answers NOSCRIPT: the script is loaded and the whole batch sent
        // again, which the batch keys make safe (traces already stored push nothing).
        var write = new Write(baseIds, lists, digests, errors, batchId);
        var stored = await connection.RunAsync("write trace points to", db => SendAsync(db, write), cancellationToken, retryTimeout: false).ConfigureAwait(false);
        if (!stored)
        {
            await connection.RunAsync("load the write script into", LoadWriteScriptAsync, cancellationToken).ConfigureAwait(false);
            if (!await connection.RunAsync("write trace points to", db => SendAsync(db, write), cancellationToken, retryTimeout: false).ConfigureAwait(false))
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
        var primaries = await RedisTopology.PrimariesAsync(db.Multiplexer).ConfigureAwait(false);
        await Task.WhenAll(primaries.Select(s => s.ExecuteAsync("SCRIPT", "LOAD", RedisScripts.WriteTrace))).ConfigureAwait(false);
    }

    /// <summary>One write's traces (same order in every list), their documents, digests (empty once summaries were refused) and error records.</summary>
    private sealed record Write(List<string> BaseIds, RedisValue[][] Lists, List<TraceDigest> Digests,
        List<(string BaseId, string Record)>? Errors, Guid BatchId);

    /// <summary>
    /// One round trip: <c>WriteTrace.lua</c> (one <c>EVALSHA</c> on a single server, one per hash slot on a cluster)
    /// stores each trace's points unless its batch key says this batch stored them already, and merges its digest into
    /// its search summary (docs/search.md); then the error records and the expiry. On a cluster the index writes the
    /// script hands back follow in a second round trip to the index slot (<see cref="RedisSearch.ApplyIndexWritesAsync"/>).
    /// False when the server lacked the write script (<c>NOSCRIPT</c>).
    /// </summary>
    private async Task<bool> SendAsync(IDatabase db, Write write)
    {
        var keyspace = options.Cluster ? RedisKeyspace.OnCluster : RedisKeyspace.Single;
        var summaries = write.Digests.Count == 0 ? "off" : keyspace.Cluster ? "back" : "here";
        var traces = Enumerable.Range(0, write.BaseIds.Count).ToList();
        var batch = db.CreateBatch();
        var scripts = new List<Task<RedisResult>>();
        foreach (var group in RedisTopology.BySlot(db.Multiplexer, keyspace.Cluster, traces, t => ListPrefix + write.BaseIds[t]))
            scripts.Add(batch.ExecuteAsync("EVALSHA", ScriptArguments(keyspace, summaries, write, group)));
        var pending = new List<Task>(scripts);
        if (write.Errors is { } errors)
            foreach (var (baseId, record) in errors)
                pending.Add(batch.StringSetAsync(ErrorPrefix + baseId, record));
        if (options.TtlSeconds is { } ttl)
            pending.AddRange(ExpireUnpinned(batch, keyspace, write.BaseIds, write.Errors, ttl));
        batch.Execute();
        try
        {
            await Task.WhenAll(pending).ConfigureAwait(false);
        }
        catch (RedisServerException) when (pending.Exists(p => p.Exception?.InnerException is RedisServerException { Kind: RedisErrorKind.NoScript }))
        {
            return false;
        }
        catch (RedisServerException e) when (e.Kind is not (RedisErrorKind.OutOfMemory or RedisErrorKind.NoAuth or RedisErrorKind.WrongPass)
                                             && !RedisConnection.IsFailover(e) && scripts.Any(p => p.IsFaulted))
        {
            // A command refused inside the script carries the script's error, not the command's kind: say what it runs.
            var failure = connection.Failure("write trace points to", e);
            throw new TraceStoreException(
                failure.Message + " Scripts/WriteTrace.lua runs SET and LPUSH: check that the server's ACL lets this user run " +
                "them, EVALSHA and SCRIPT LOAD, and that each osprofiler_opt: key is a list.", failure.InnerException);
        }
        // A server that refuses the summary's commands (an ACL without HSET or ZADD) keeps the points without
        // summaries, and the writer stops sending them; a search then says why it cannot run.
        foreach (var script in scripts)
            if ((long)((RedisResult[])script.Result!)[1] == 0) _summariesRefused = true;
        if (summaries == "back")
        {
            try
            {
                await RedisSearch.ApplyIndexWritesAsync(db, keyspace, scripts.Select(s => Task.FromResult(Shift(s.Result)))).ConfigureAwait(false);
            }
            catch (RedisServerException e) when (e.Kind is RedisErrorKind.NoPermission or RedisErrorKind.UnknownCommand)
            {
                // The points are stored; an ACL refusing the index sets' ZADD/ZREM stops summaries, as on a single server.
                _summariesRefused = true;
            }
        }
        return true;
    }

    /// <summary><c>WriteTrace.lua</c>'s result as <see cref="RedisSearch.ApplyIndexWritesAsync"/> reads one: { count, writes }.</summary>
    private static RedisResult Shift(RedisResult result)
    {
        var parts = (RedisResult[])result!;
        return RedisResult.Create([parts[0], parts[2]]);
    }

    /// <summary>
    /// The <c>EVALSHA</c> of <c>WriteTrace.lua</c> for the traces <paramref name="group"/> (indexes into the write),
    /// written straight into one argument array of its exact size: a write's thousands of documents are copied once.
    /// </summary>
    private object[] ScriptArguments(RedisKeyspace keyspace, string summaries, Write write, List<int> group)
    {
        var back = summaries == "back";
        var keysPerTrace = back ? 3 : 2;
        var keyCount = 1 + group.Count * keysPerTrace + (keyspace.Cluster ? 0 : 1);
        var digests = new List<RedisValue>[group.Count];
        var valueCount = 7;
        for (var g = 0; g < group.Count; g++)
        {
            var t = group[g];
            if (summaries != "off") RedisSearch.AddDigest(digests[g] = new List<RedisValue>(16), keyspace, write.Digests[t]);
            valueCount += 1 + (digests[g]?.Count ?? 0) + write.Lists[t].Length;
        }
        var args = new object[2 + keyCount + valueCount];
        args[0] = RedisScripts.WriteTraceSha;
        args[1] = keyCount;
        // One batch key per call, named after its first trace: the same on every attempt (the traces and their order,
        // and so the grouping by slot, are the batch's own), in the slot of every trace of the call.
        args[2] = (RedisKey)BatchKey(write.BaseIds[group[0]], write.BatchId);
        var k = 3;
        var v = 2 + keyCount;
        foreach (var value in (ReadOnlySpan<RedisValue>)[BatchKeySeconds, options.TtlSeconds ?? 0, summaries, keyspace.StartIndex,
                     keyspace.DurationIndex, keyspace.ErrorIndex, group.Count])
            args[v++] = value;
        for (var g = 0; g < group.Count; g++)
        {
            var t = group[g];
            var baseId = write.BaseIds[t];
            args[k++] = (RedisKey)(ListPrefix + baseId);
            args[k++] = (RedisKey)SummaryKey(baseId);
            if (back) args[k++] = (RedisKey)RedisKeyspace.PinMarker(ListPrefix + baseId);
            var list = write.Lists[t];
            args[v++] = list.Length;
            if (digests[g] is { } digest)
                foreach (var value in digest) args[v++] = value;
            for (var i = 0; i < list.Length; i++) args[v++] = list[i];
        }
        // The pinned set, last, for the summary's expiry on a single server (on a cluster the pin marks say it).
        if (!keyspace.Cluster) args[k] = (RedisKey)keyspace.Pinned;
        return args;
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
            return RedisTopology.BySlot(batch.Multiplexer, cluster: true, touched, t => t.Key).Select(group =>
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
