using Profiler.Storage;
using StackExchange.Redis;
using static Profiler.Infrastructure.Redis.RedisSchema;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Pinning, pruning and statistics on OSProfiler's keys (<see cref="RedisSchema"/>) plus Profiler's set of pinned
/// base ids, <c>profiler_pinned</c>.
/// </summary>
/// <remarks>
/// <para>Pin: one <c>MULTI</c> (on condition that <c>osprofiler_opt:&lt;id&gt;</c> exists) of <c>SADD profiler_pinned
/// &lt;id&gt;</c> and <c>PERSIST</c> on the list and the error key. Unpin: <c>SREM</c>, and with <c>ttl</c>
/// <c>EXPIRE</c> on both keys again (the expiry starts afresh). The writer's <c>ExpireUnpinned.lua</c> skips pinned
/// ids, so a pinned trace keeps no expiry however often it is written to.</para>
/// <para>Prune: <c>SCAN MATCH osprofiler_opt:* COUNT 1000</c> page by page; for each page one pipeline of
/// <c>LINDEX key 0</c> (the head: <c>LPUSH</c> puts the newest point there) and <c>LLEN key</c>; traces whose head's
/// timestamp is before the cutoff, not pinned, go to <c>PruneTraces.lua</c> in batches of 100, which re-checks the pin
/// and the length (a trace written to meanwhile is kept) and deletes the list and the error key. A head without a
/// readable timestamp keeps its trace. Legacy <c>osprofiler:</c> keys are not pruned.</para>
/// <para>Statistics: the same scan with <c>LLEN</c>, <c>LINDEX 0</c>, <c>LINDEX -1</c> and, when the server allows it,
/// <c>MEMORY USAGE</c> per list; error keys are counted in the bytes.</para>
/// <para>On a Redis Cluster both scans run on each primary in turn (<see cref="RedisSchema.ScanTargetsAsync"/>); the
/// statistics count a key that two primaries hand over (a slot migrating meanwhile) once.</para>
/// </remarks>
internal sealed class RedisTraceLifecycle(RedisStoreOptions options, RedisConnection connection)
{
    /// <summary><c>COUNT</c> of the prune's and the statistics' <c>SCAN</c> pages: bounds each page's pipeline.</summary>
    internal const int PageSize = 1000;

    /// <summary>Traces per <c>PruneTraces.lua</c> call: a short script, never holding the server for long.</summary>
    internal const int DeleteBatch = 100;

    public async Task<bool> SetPinnedAsync(string baseId, bool pinned, CancellationToken cancellationToken)
    {
        if (!TracePointRules.IsSafeId(baseId)) return false;
        RedisKey list = ListPrefix + baseId, error = ErrorPrefix + baseId, summary = SummaryKey(baseId);
        return await connection.RunAsync(pinned ? "pin a trace in" : "unpin a trace in", async db =>
        {
            var keyspace = RedisKeyspace.For(db.Multiplexer);
            if (keyspace.Cluster) return await SetPinnedOnClusterAsync(db, keyspace, baseId, pinned).ConfigureAwait(false);
            var transaction = db.CreateTransaction();
            transaction.AddCondition(Condition.KeyExists(list));
            if (pinned)
            {
                _ = transaction.SetAddAsync(keyspace.Pinned, baseId);
                _ = transaction.KeyPersistAsync(list);
                _ = transaction.KeyPersistAsync(error);
                _ = transaction.KeyPersistAsync(summary);
            }
            else
            {
                _ = transaction.SetRemoveAsync(keyspace.Pinned, baseId);
                if (options.TtlSeconds is { } ttl)
                {
                    _ = transaction.KeyExpireAsync(list, TimeSpan.FromSeconds(ttl));
                    _ = transaction.KeyExpireAsync(error, TimeSpan.FromSeconds(ttl));
                    _ = transaction.KeyExpireAsync(summary, TimeSpan.FromSeconds(ttl));
                }
            }
            if (await transaction.ExecuteAsync().ConfigureAwait(false)) return true;
            // No such trace: an id left in the set by a trace deleted behind Profiler's back goes.
            if (!pinned) await db.SetRemoveAsync(keyspace.Pinned, baseId).ConfigureAwait(false);
            return false;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Pin or unpin on a cluster, where a trace's keys are in two slots (the list with its summary, and the error record)
    /// and the pinned set in a third: one <c>MULTI</c> per trace slot sets (or deletes) the slot's pin mark
    /// (<see cref="RedisKeyspace.PinMarker"/>, which the writer's expiry and the prune check) together with the
    /// <c>PERSIST</c> (or <c>EXPIRE</c>) of the slot's keys; the pinned set, which only lists pins, follows.
    /// </summary>
    private async Task<bool> SetPinnedOnClusterAsync(IDatabase db, RedisKeyspace keyspace, string baseId, bool pinned)
    {
        RedisKey list = ListPrefix + baseId, error = ErrorPrefix + baseId, summary = SummaryKey(baseId);
        var (listMark, errorMark) = RedisKeyspace.PinMarkers(baseId);
        var ttl = options.TtlSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : (TimeSpan?)null;
        var onList = db.CreateTransaction();
        onList.AddCondition(Condition.KeyExists(list));
        if (pinned)
        {
            _ = onList.StringSetAsync(listMark, "1");
            _ = onList.KeyPersistAsync(list);
            _ = onList.KeyPersistAsync(summary);
        }
        else
        {
            _ = onList.KeyDeleteAsync(listMark);
            if (ttl is { } t)
            {
                _ = onList.KeyExpireAsync(list, t);
                _ = onList.KeyExpireAsync(summary, t);
            }
        }
        var exists = await onList.ExecuteAsync().ConfigureAwait(false);
        if (!exists && pinned) return false;
        var onError = db.CreateTransaction();
        if (pinned && exists)
        {
            _ = onError.StringSetAsync(errorMark, "1");
            _ = onError.KeyPersistAsync(error);
        }
        else
        {
            _ = onError.KeyDeleteAsync(errorMark);
            if (exists && ttl is { } t) _ = onError.KeyExpireAsync(error, t);
        }
        await onError.ExecuteAsync().ConfigureAwait(false);
        if (pinned) await db.SetAddAsync(keyspace.Pinned, baseId).ConfigureAwait(false);
        else
        {
            await db.SetRemoveAsync(keyspace.Pinned, baseId).ConfigureAwait(false);
            // No such trace: a mark left by a trace deleted behind Profiler's back goes too.
            if (!exists) await db.KeyDeleteAsync(listMark).ConfigureAwait(false);
        }
        return exists;
    }

    public async Task<IReadOnlyList<string>> ListPinnedAsync(CancellationToken cancellationToken) =>
        await connection.RunAsync("list pinned traces in", async db =>
        {
            var members = await db.SetMembersAsync(RedisKeyspace.For(db.Multiplexer).Pinned).ConfigureAwait(false);
            var ids = members.Select(m => (string)m!).Where(TracePointRules.IsSafeId).ToArray();
            var batch = db.CreateBatch();
            var exists = ids.Select(id => batch.KeyExistsAsync(ListPrefix + id)).ToArray();
            batch.Execute();
            await Task.WhenAll(exists).ConfigureAwait(false);
            var kept = new List<string>(ids.Length);
            for (var i = 0; i < ids.Length; i++)
                if (exists[i].Result) kept.Add(ids[i]);
            return (IReadOnlyList<string>)kept;
        }, cancellationToken).ConfigureAwait(false);

    public async Task<PruneResult> PruneAsync(DateTime cutoff, bool dryRun, CancellationToken cancellationToken)
    {
        var cutoffTicks = cutoff.Kind == DateTimeKind.Local ? cutoff.ToUniversalTime().Ticks : cutoff.Ticks;
        long traces = 0, points = 0;
        var cursor = "0";
        // Read once for the whole scan: PruneTraces.lua checks the pin again before it deletes anything.
        var pinned = (await connection.RunAsync("read the pinned traces of", db => db.SetMembersAsync(RedisKeyspace.For(db.Multiplexer).Pinned), cancellationToken)
            .ConfigureAwait(false)).Select(m => (string)m!).ToHashSet(StringComparer.Ordinal);
        // One server, or every primary of a Redis Cluster, scanned one after the other.
        var targets = await connection.RunAsync(dryRun ? "count old traces in" : "prune old traces from", ScanTargetsAsync, cancellationToken)
            .ConfigureAwait(false);
        var target = 0;
        var unforgotten = new List<string>();
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            cursor = await connection.RunAsync(dryRun ? "count old traces in" : "prune old traces from", async db =>
            {
                var (next, keys) = await ScanPageAsync(db, targets[target], cursor, ListPrefix + "*", PageSize).ConfigureAwait(false);
                if (keys.Length == 0) return next;
                var batch = db.CreateBatch();
                var heads = keys.Select(k => batch.ListGetByIndexAsync(k, 0)).ToArray();
                var lengths = keys.Select(k => batch.ListLengthAsync(k)).ToArray();
                batch.Execute();
                await Task.WhenAll(Task.WhenAll(heads), Task.WhenAll(lengths)).ConfigureAwait(false);
                var doomed = new List<(string Id, long Length)>();
                for (var i = 0; i < keys.Length; i++)
                {
                    var id = ((string)keys[i]!)[ListPrefix.Length..];
                    if (heads[i].Result.IsNullOrEmpty || pinned.Contains(id)) continue;
                    ReadOnlyMemory<byte> head = heads[i].Result;
                    var ticks = PointSummary.Read(head.Span, allFields: false)?.Ticks ?? PointSummary.NoTime;
                    if (ticks != PointSummary.NoTime && ticks < cutoffTicks) doomed.Add((id, lengths[i].Result));
                }
                if (dryRun)
                {
                    traces += doomed.Count;
                    points += doomed.Sum(d => d.Length);
                    return next;
                }
                var keyspace = RedisKeyspace.For(db.Multiplexer);
                foreach (var chunk in doomed.Chunk(DeleteBatch))
                {
                    var (t, p) = keyspace.Cluster
                        ? await PruneOnClusterAsync(db, chunk, unforgotten).ConfigureAwait(false)
                        : await PruneAsync(db, keyspace, chunk).ConfigureAwait(false);
                    traces += t;
                    points += p;
                }
                return next;
            }, cancellationToken).ConfigureAwait(false);
            // On a cluster, what goes with the deleted lists (in other slots) is removed in a step of its own, retried by
            // itself: a failure there never leaves the ids behind, as a retry of the page (finding the lists gone) would.
            if (unforgotten.Count > 0)
            {
                await connection.RunAsync("prune old traces from", db => ForgetPrunedAsync(db, unforgotten), cancellationToken).ConfigureAwait(false);
                unforgotten.Clear();
            }
        }
        while (cursor != "0" || ++target < targets.Length);
        return new PruneResult(traces, points);
    }

    /// <summary>One <c>PruneTraces.lua</c> call on a single server: lists, error records, summaries and index entries go together.</summary>
    private static async Task<(long Traces, long Points)> PruneAsync(IDatabase db, RedisKeyspace keyspace, (string Id, long Length)[] chunk)
    {
        var scriptKeys = new RedisKey[1 + 2 * chunk.Length];
        var scriptValues = new RedisValue[1 + 2 * chunk.Length + 3];
        scriptKeys[0] = keyspace.Pinned;
        scriptValues[0] = "set";
        for (var j = 0; j < chunk.Length; j++)
        {
            scriptKeys[1 + 2 * j] = ListPrefix + chunk[j].Id;
            scriptKeys[2 + 2 * j] = ErrorPrefix + chunk[j].Id;
            scriptValues[1 + 2 * j] = chunk[j].Id;
            scriptValues[2 + 2 * j] = chunk[j].Length;
        }
        scriptValues[^3] = keyspace.StartIndex;
        scriptValues[^2] = keyspace.DurationIndex;
        scriptValues[^1] = keyspace.ErrorIndex;
        var removed = (long[])(await RedisScripts.Eval(db, RedisScripts.PruneTraces, scriptKeys, scriptValues).ConfigureAwait(false))!;
        return (removed[0], removed[1]);
    }

    /// <summary>
    /// A prune's deletions on a cluster: one <c>PruneTraces.lua</c> call per hash slot deletes the lists that are still
    /// unpinned and unchanged (checking each list's pin mark, in its slot), adding each deleted id to
    /// <paramref name="deleted"/> as its call answers; <see cref="ForgetPrunedAsync"/> then removes what lives in other slots.
    /// </summary>
    private static async Task<(long Traces, long Points)> PruneOnClusterAsync(IDatabase db, (string Id, long Length)[] chunk, List<string> deleted)
    {
        var batch = db.CreateBatch();
        var calls = RedisTopology.BySlot(db.Multiplexer, cluster: true, chunk, c => ListPrefix + c.Id).Select(group =>
        {
            var keys = new RedisKey[2 * group.Count];
            var values = new RedisValue[1 + 2 * group.Count];
            values[0] = "mark";
            for (var j = 0; j < group.Count; j++)
            {
                keys[2 * j] = ListPrefix + group[j].Id;
                keys[2 * j + 1] = RedisKeyspace.PinMarker(ListPrefix + group[j].Id);
                values[1 + 2 * j] = group[j].Id;
                values[2 + 2 * j] = group[j].Length;
            }
            return RedisScripts.Eval(batch, RedisScripts.PruneTraces, keys, values);
        }).ToArray();
        batch.Execute();
        long traces = 0, points = 0;
        foreach (var call in calls)
        {
            var result = (RedisResult[])(await call.ConfigureAwait(false))!;
            traces += (long)result[0];
            points += (long)result[1];
            deleted.AddRange(((RedisResult[])result[2]!).Select(r => (string)r!));
        }
        return (traces, points);
    }

    /// <summary>The error records, pin marks, summaries and index entries of traces a prune deleted on a cluster.</summary>
    private static async Task ForgetPrunedAsync(IDatabase db, List<string> deleted)
    {
        var keyspace = RedisKeyspace.For(db.Multiplexer);
        var rest = db.CreateBatch();
        var errors = deleted.Select(id => rest.KeyDeleteAsync([ErrorPrefix + id, RedisKeyspace.PinMarker(ErrorPrefix + id)])).ToArray();
        var forgotten = RedisSearch.QueueForget(rest, keyspace, deleted);
        rest.Execute();
        await Task.WhenAll(errors).ConfigureAwait(false);
        await Task.WhenAll(forgotten).ConfigureAwait(false);
        await RedisSearch.ApplyIndexWritesAsync(db, keyspace, forgotten).ConfigureAwait(false);
    }

    public async Task<TraceStoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken)
    {
        long traces = 0, points = 0, bytes = 0;
        bool? memoryUsage = null; // whether the server answers MEMORY USAGE: asked once, on the first key
        PointSummary? oldest = null, newest = null;
        var cursor = "0";
        // One server, or every primary of a Redis Cluster, scanned one after the other.
        var targets = await connection.RunAsync("count the traces in", ScanTargetsAsync, cancellationToken).ConfigureAwait(false);
        var target = 0;
        // On a cluster, a key two primaries hand over (a slot migrating meanwhile) counts once.
        var seen = targets.Length > 1 ? new HashSet<RedisKey>() : null;
        do
        {
            cursor = await connection.RunAsync("count the traces in", async db =>
            {
                var (next, scanned) = await ScanPageAsync(db, targets[target], cursor, AllKeysPattern, PageSize).ConfigureAwait(false);
                var keys = seen is null ? scanned : Array.FindAll(scanned, seen.Add);
                if (keys.Length == 0) return next;
                memoryUsage ??= await MemoryUsageAllowedAsync(db, keys[0]).ConfigureAwait(false);
                var lists = keys.Where(k => ((string)k!).StartsWith(ListPrefix, StringComparison.Ordinal)).ToArray();
                var batch = db.CreateBatch();
                var lengths = lists.Select(k => batch.ListLengthAsync(k)).ToArray();
                var heads = lists.Select(k => batch.ListGetByIndexAsync(k, 0)).ToArray();
                var tails = lists.Select(k => batch.ListGetByIndexAsync(k, -1)).ToArray();
                var sizes = memoryUsage == true
                    ? keys.Where(k => !((string)k!).StartsWith(LegacyPrefix, StringComparison.Ordinal))
                        .Select(k => batch.ExecuteAsync("MEMORY", "USAGE", k)).ToArray()
                    : [];
                batch.Execute();
                await Task.WhenAll(lengths).ConfigureAwait(false);
                await Task.WhenAll(heads.Concat(tails)).ConfigureAwait(false);
                await Task.WhenAll(sizes).ConfigureAwait(false);
                for (var i = 0; i < lists.Length; i++)
                {
                    if (lengths[i].Result == 0) continue; // expired or deleted since the scan
                    traces++;
                    points += lengths[i].Result;
                    if (Summary(heads[i].Result) is { } head && (newest is null || head.Ticks > newest.Ticks)) newest = head;
                    if (Summary(tails[i].Result) is { } tail && (oldest is null || tail.Ticks < oldest.Ticks)) oldest = tail;
                }
                foreach (var size in sizes)
                    if (!size.Result.IsNull) bytes += (long)size.Result;
                return next;
            }, cancellationToken).ConfigureAwait(false);
        }
        while (cursor != "0" || ++target < targets.Length);
        var pinned = await ListPinnedAsync(cancellationToken).ConfigureAwait(false);
        return new TraceStoreStatistics(traces, points, oldest?.Timestamp, newest?.Timestamp, memoryUsage != false ? bytes : null, pinned.Count);
    }

    /// <summary>A point's summary when its timestamp can be read; else null.</summary>
    private static PointSummary? Summary(RedisValue value)
    {
        if (value.IsNullOrEmpty) return null;
        ReadOnlyMemory<byte> bytes = value;
        return PointSummary.Read(bytes.Span, allFields: false) is { Ticks: not PointSummary.NoTime } summary ? summary : null;
    }

    /// <summary>Whether <c>MEMORY USAGE</c> may be sent (an ACL or a proxy may refuse it).</summary>
    private static async Task<bool> MemoryUsageAllowedAsync(IDatabase db, RedisKey key)
    {
        try
        {
            await db.ExecuteAsync("MEMORY", "USAGE", key).ConfigureAwait(false);
            return true;
        }
        catch (RedisServerException)
        {
            return false;
        }
    }
}
