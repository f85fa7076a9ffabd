using System.Text.Json;
using Profiler.Domain;
using Profiler.Storage;
using StackExchange.Redis;
using static Profiler.Infrastructure.Redis.RedisSchema;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Writes batches of points, exactly once, with their search summaries. On a single server one <c>MULTI</c> per write
/// holding an <c>LPUSH</c> of each trace's points and <c>EVAL</c> of <c>Scripts/WriteTrace.lua</c>, which sets the
/// write's one batch key (<see cref="RedisSchema.BatchKey"/>) and merges each trace's digest into its summary or, when
/// the key was set before (a retry), takes the pushes off again. On a cluster, where a write splits into a call per hash
/// slot of a trace or two, one <c>EVALSHA</c> of the same script per slot, pushing the points itself (a MULTI's four
/// commands and the script's text per slot cost the client and servers more than the points passing through Lua:
/// <c>profiler bench cluster</c> 145,000 against 195,000 points/s). With <c>filter_error_trace</c> an
/// <c>osprofiler_error:</c> index record per failed point follows, all in one round trip. With <c>ttl</c> the same batch
/// ends with <c>Scripts/ExpireUnpinned.lua</c> giving every key it touched its expiry unless the trace is pinned.
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
        var traceIndex = new Dictionary<string, int>(Math.Min(points.Count, 128), StringComparer.Ordinal);
        var baseIds = new List<string>();
        var listKeys = new List<string>();
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
                    listKeys.Add(ListPrefix + baseId);
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

        // Exactly once: each trace's points go in one transaction with WriteTrace.lua, which sets the batch key or, when
        // this batch was stored already, takes the pushes off again. Retried with backoff by the caller.
        var write = new Write(baseIds, listKeys, lists, digests, errors, batchId, []);
        var stored = await connection.RunAsync("write trace points to", db => SendAsync(db, write), cancellationToken, retryTimeout: false).ConfigureAwait(false);
        if (!stored)
        {
            // A cluster's primary lacked the script (restarted, SCRIPT FLUSH, a replica promoted): it ran nowhere it was
            // missing, so the whole write is sent again once the script is loaded; the batch keys make that safe.
            await connection.RunAsync("load the write script into", LoadWriteScriptAsync, cancellationToken).ConfigureAwait(false);
            if (!await connection.RunAsync("write trace points to", db => SendAsync(db, write), cancellationToken, retryTimeout: false).ConfigureAwait(false))
                throw new TraceStoreException($"Could not write trace points to {options.Describe()}: the server answered NOSCRIPT right after SCRIPT LOAD.");
        }
        // Every command of the batch has been answered (WhenAll waits for all of them, on every attempt): nothing reads
        // the documents any more. After a failure or a cancellation some may still be queued, so the buffer is left to
        // the garbage collector then.
        buffer.Return();
        if (write.Refused.Count > 0) throw Refusal(write, traceOf);
    }

    /// <summary>
    /// The traces whose list key holds another type (a string, a hash… put there by something else): their points are
    /// refused for good, the batch's other traces are stored, and every attempt of the batch finds them so again.
    /// </summary>
    private TracePointsRefusedException Refusal(Write write, int[] traceOf)
    {
        var refused = new HashSet<int>(write.Refused);
        var points = Enumerable.Range(0, traceOf.Length).Where(i => refused.Contains(traceOf[i])).ToList();
        var keys = write.Refused.Order().Take(5).Select(t => $"'{TracePointRules.Show(write.ListKeys[t])}'").ToList();
        var more = refused.Count > keys.Count ? $" and {refused.Count - keys.Count} more" : "";
        return new TracePointsRefusedException(
            $"Could not write {points.Count} trace point(s) to {options.Describe()}: the key{(refused.Count > 1 ? "s" : "")} " +
            $"{string.Join(", ", keys)}{more} hold{(refused.Count > 1 ? "" : "s")} a value of another type (WRONGTYPE), not a trace's list; " +
            "the batch's other points are stored. Delete or rename the key to store that trace.", points);
    }

    /// <summary><c>SCRIPT LOAD</c> of <c>WriteTrace.lua</c> into every primary of a cluster (each keeps its own script cache).</summary>
    private static async Task LoadWriteScriptAsync(IDatabase db)
    {
        var primaries = await RedisTopology.PrimariesAsync(db.Multiplexer).ConfigureAwait(false);
        await Task.WhenAll(primaries.Select(s => s.ExecuteAsync("SCRIPT", "LOAD", RedisScripts.WriteTrace))).ConfigureAwait(false);
    }

    /// <summary>
    /// One write's traces (same order in every list), their lists' names, documents, digests (empty once summaries were
    /// refused) and error records.
    /// </summary>
    private sealed record Write(List<string> BaseIds, List<string> ListKeys, RedisValue[][] Lists, List<TraceDigest> Digests,
        List<(string BaseId, string Record)>? Errors, Guid BatchId, List<int> Refused);

    /// <summary>
    /// One round trip: on a single server a <c>MULTI</c> of an <c>LPUSH</c> per trace and <c>WriteTrace.lua</c>, which
    /// keeps the pushes unless its batch key says this batch was stored already; on a cluster an <c>EVALSHA</c> of
    /// <c>WriteTrace.lua</c> per hash slot, pushing the points unless its batch key was set; either way the script merges
    /// each trace's digest into its search summary (docs/search.md); then the error records and the expiry. On a cluster
    /// the index writes the script hands back follow in a second round trip to the index slot
    /// (<see cref="RedisSearch.ApplyIndexWritesAsync"/>). False when a primary lacked the script (<c>NOSCRIPT</c>, a cluster
    /// only: inside a <c>MULTI</c> the script is sent whole with <c>EVAL</c>, as a NOSCRIPT there would come after the pushes).
    /// </summary>
    private async Task<bool> SendAsync(IDatabase db, Write write)
    {
        var keyspace = options.Cluster ? RedisKeyspace.OnCluster : RedisKeyspace.Single;
        var summaries = write.Digests.Count == 0 ? "off" : keyspace.Cluster ? "back" : "here";
        // A transaction with no master to go to waits in StackExchange.Redis's backlog for good, where a plain command
        // fails at once: fail as such a command would (a replica, or a Sentinel master still being elected).
        if (!keyspace.Cluster && !Array.Exists(db.Multiplexer.GetServers(), s => s.IsConnected && !s.IsReplica))
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "No connection is available to service this write: no master is connected.", null, CommandStatus.WaitingToBeSent);
        var traces = Enumerable.Range(0, write.BaseIds.Count).ToList();
        var scripts = new List<Task<RedisResult>>();
        var scriptGroups = new List<List<int>>();
        var pushes = new List<(int Trace, Task Push)>();
        write.Refused.Clear();
        var pending = new List<Task>(write.BaseIds.Count + 4);
        // What is awaited first: each transaction's EXEC and the batch's own commands, not the commands inside a
        // transaction (an LPUSH a trace), whose replies come with their EXEC's. StackExchange.Redis completes a command's
        // task with its continuations run asynchronously: awaiting each of a write's hundred LPUSHes queued a hundred
        // thread-pool work items a write; once the EXECs are answered the inner tasks are complete, and the wait for all
        // of them that follows (for their errors) registers nothing.
        var answered = new List<Task>(4);
        // The script pushes the points itself on a cluster, and for a user the ACL denies LTRIM, which a MULTI's retry
        // needs to take its pushes off again (asked once, with a no-op LTRIM of a list the write is about to push to).
        var pushHere = keyspace.Cluster || !(_mayTrim ??= await MayTrimAsync(db, write.BaseIds[0]).ConfigureAwait(false));
        IBatch? batch = null;
        foreach (var group in RedisTopology.BySlot(db.Multiplexer, keyspace.Cluster, traces, t => write.ListKeys[t]))
        {
            if (pushHere)
            {
                // One call that pushes the points itself: on a cluster a slot's share (a trace or two), by EVALSHA.
                batch ??= db.CreateBatch();
                var pushing = batch.ExecuteAsync(keyspace.Cluster ? "EVALSHA" : "EVAL", ScriptArguments(keyspace, summaries, write, group, pushHere: true));
                scripts.Add(pushing);
                scriptGroups.Add(group);
                pending.Add(pushing);
                answered.Add(pushing);
                continue;
            }
            var transaction = db.CreateTransaction();
            foreach (var t in group)
            {
                var push = transaction.ListLeftPushAsync((RedisKey)write.ListKeys[t], write.Lists[t]);
                pushes.Add((t, push));
                pending.Add(push);
            }
            var script = transaction.ExecuteAsync("EVAL", ScriptArguments(keyspace, summaries, write, group, pushHere: false));
            scripts.Add(script);
            scriptGroups.Add(group);
            pending.Add(script);
            var exec = transaction.ExecuteAsync(CommandFlags.DemandMaster);
            pending.Add(exec);
            answered.Add(exec);
        }
        if (write.Errors is not null || options.TtlSeconds is not null)
        {
            batch ??= db.CreateBatch();
            if (write.Errors is { } errors)
                foreach (var (baseId, record) in errors)
                {
                    var set = batch.StringSetAsync(ErrorPrefix + baseId, record);
                    pending.Add(set);
                    answered.Add(set);
                }
            if (options.TtlSeconds is { } ttl)
            {
                var expiring = ExpireUnpinned(batch, keyspace, write.BaseIds, write.Errors, ttl);
                pending.AddRange(expiring);
                answered.AddRange(expiring);
            }
        }
        batch?.Execute();
        try
        {
            // A backstop: a transaction whose slot lost its primary can wait in the backlog for good. Sending the
            // batch again is safe (its batch key), so the wait ends as a command never sent would.
            await AnsweredThenAllAsync(answered, pending).WaitAsync(connection.OperationTimeout * 2).ConfigureAwait(false);
        }
        catch (RedisServerException) when (pending.Exists(p => p.Exception?.InnerException is RedisServerException { Kind: RedisErrorKind.NoScript }))
        {
            return false;
        }
        catch (TimeoutException)
        {
            throw new RedisTimeoutException(CommandFlags.None, $"The write got no answer within {(connection.OperationTimeout * 2).TotalSeconds:0.###} s.", CommandStatus.WaitingInBacklog);
        }
        catch (RedisServerException) when (pending.TrueForAll(p => !p.IsFaulted || pushes.Exists(x => ReferenceEquals(x.Push, p)) && IsWrongType(p)))
        {
            // Only LPUSHes to keys of another type failed: those traces are refused (below), the rest is written.
        }
        catch (RedisServerException e) when (e.Kind is not (RedisErrorKind.OutOfMemory or RedisErrorKind.NoAuth or RedisErrorKind.WrongPass)
                                             && !RedisConnection.IsFailover(e) && scripts.Any(p => p.IsFaulted))
        {
            // A command refused inside the script carries the script's error, not the command's kind: say what it runs.
            var failure = connection.Failure("write trace points to", e);
            throw new TraceStoreException(
                failure.Message + " A write is MULTI, LPUSH, EVAL of Scripts/WriteTrace.lua (SET, LTRIM) and EXEC (on a cluster EVALSHA and SCRIPT LOAD): check that the " +
                "server's ACL lets this user run them, and that each osprofiler_opt: key is a list.", failure.InnerException);
        }
        // A server that refuses the summary's commands (an ACL without HSET or ZADD) keeps the points without
        // summaries, and the writer stops sending them; a search then says why it cannot run.
        for (var c = 0; c < scripts.Count; c++)
        {
            var result = (RedisResult[])scripts[c].Result!;
            if ((long)result[1] == 0) _summariesRefused = true;
            foreach (var ordinal in (RedisResult[])result[3]!) write.Refused.Add(scriptGroups[c][(int)ordinal - 1]);
        }
        foreach (var (t, push) in pushes)
            if (IsWrongType(push)) write.Refused.Add(t);
        if (pushes.Count > 0 && summaries == "here" && write.Refused.Count > 0)
        {
            // The MULTI's script merged the digests of traces whose LPUSH was refused: their summaries describe no list.
            await Task.WhenAll(RedisSearch.QueueForget(db, keyspace, [.. write.Refused.Select(t => write.BaseIds[t])])).ConfigureAwait(false);
        }
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

    /// <summary>Whether a push failed because its key holds a value of another type.</summary>
    private static bool IsWrongType(Task push) =>
        push.IsFaulted && push.Exception?.InnerException is RedisServerException { Kind: RedisErrorKind.WrongType };

    /// <summary>
    /// Waits for <paramref name="answered"/>, then for <paramref name="pending"/> (all of a write's tasks, in order),
    /// which throws as a wait for them all at once would: the first failed task's exception.
    /// </summary>
    private static async Task AnsweredThenAllAsync(List<Task> answered, List<Task> pending)
    {
        // A failure among them is reported as the wait for all reports it, once every task has ended.
        await Task.WhenAll(answered).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(pending).ConfigureAwait(false);
    }

    /// <summary><c>WriteTrace.lua</c>'s result as <see cref="RedisSearch.ApplyIndexWritesAsync"/> reads one: { count, writes }.</summary>
    private static RedisResult Shift(RedisResult result)
    {
        var parts = (RedisResult[])result!;
        return RedisResult.Create([parts[0], parts[2]]);
    }

    /// <summary>
    /// The <c>EVAL</c> (or, <paramref name="pushHere"/>, <c>EVALSHA</c>) of <c>WriteTrace.lua</c> for the traces
    /// <paramref name="group"/> (indexes into the write): their counts and digests, and with <paramref name="pushHere"/>
    /// their documents, which the script then pushes (else the transaction's <c>LPUSH</c>es before it do).
    /// </summary>
    private object[] ScriptArguments(RedisKeyspace keyspace, string summaries, Write write, List<int> group, bool pushHere)
    {
        var back = summaries == "back";
        var keysPerTrace = back ? 3 : 2;
        var keyCount = 1 + group.Count * keysPerTrace + (keyspace.Cluster ? 0 : 1);
        var digestValues = summaries == "off" ? 0 : RedisSearch.DigestValues;
        var valueCount = 8;
        for (var g = 0; g < group.Count; g++)
            valueCount += 1 + digestValues + (pushHere ? write.Lists[group[g]].Length : 0);
        var args = new object[2 + keyCount + valueCount];
        args[0] = keyspace.Cluster ? RedisScripts.WriteTraceSha : RedisScripts.WriteTrace;
        args[1] = keyCount;
        // One batch key per call, named after its first trace: the same on every attempt (the traces and their order,
        // and so the grouping by slot, are the batch's own), in the slot of every trace of the call.
        args[2] = (RedisKey)BatchKey(write.BaseIds[group[0]], write.BatchId);
        var k = 3;
        var v = 2 + keyCount;
        var digest = new RedisValue[digestValues];
        foreach (var value in (ReadOnlySpan<RedisValue>)[BatchKeySeconds, options.TtlSeconds ?? 0, summaries, keyspace.StartIndex,
                     keyspace.DurationIndex, keyspace.ErrorIndex, group.Count, pushHere ? "here" : "before"])
            args[v++] = value;
        for (var g = 0; g < group.Count; g++)
        {
            var t = group[g];
            var baseId = write.BaseIds[t];
            args[k++] = (RedisKey)write.ListKeys[t];
            args[k++] = (RedisKey)SummaryKey(baseId);
            if (back) args[k++] = (RedisKey)RedisKeyspace.PinMarker(write.ListKeys[t]);
            var list = write.Lists[t];
            args[v++] = list.Length;
            if (digestValues > 0)
            {
                RedisSearch.FillDigest(digest, keyspace, write.Digests[t]);
                // Box(): a text value is passed as its string (no box of the RedisValue around it), a number as a long.
                foreach (var value in digest) args[v++] = value.Box() ?? "";
            }
            if (pushHere)
                for (var i = 0; i < list.Length; i++) args[v++] = list[i];
        }
        // The pinned set, last, for the summary's expiry on a single server (on a cluster the pin marks say it).
        if (!keyspace.Cluster) args[k] = (RedisKey)keyspace.Pinned;
        return args;
    }

    private volatile bool _summariesRefused;

    /// <summary>Whether the ACL lets this user run LTRIM (null: not asked yet).</summary>
    private bool? _mayTrim;

    /// <summary>
    /// Asks once whether the user may run <c>LTRIM</c>: without it a retried <c>MULTI</c> could not take its pushes off
    /// again, so the writer lets the script push the points instead (as on a cluster). A no-op <c>LTRIM 0 -1</c> of the
    /// write's first list: refused only for want of permission (a key of another type answers WRONGTYPE, which says
    /// nothing of the ACL).
    /// </summary>
    private static async Task<bool> MayTrimAsync(IDatabase db, string baseId)
    {
        try
        {
            await db.ExecuteAsync("LTRIM", (RedisKey)(ListPrefix + baseId), 0, -1).ConfigureAwait(false);
            return true;
        }
        catch (RedisServerException e) when (e.Kind == RedisErrorKind.NoPermission)
        {
            return false;
        }
        catch (RedisServerException)
        {
            return true;
        }
    }

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
