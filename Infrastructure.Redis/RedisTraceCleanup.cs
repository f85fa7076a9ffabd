using Profiler.Storage;
using StackExchange.Redis;
using static Profiler.Infrastructure.Redis.RedisSchema;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Deletes traces: each one's list and error-index record (one <c>DEL</c> per trace, pipelined — on a cluster one per
/// key and its pin mark, the two being in different slots — and one <c>SREM</c> of their ids from the pinned set), their
/// summaries and index entries, and, when the legacy
/// schema is present, its legacy point keys (found by one <c>SCAN</c> and checked by the point's own base id).
/// </summary>
internal sealed class RedisTraceCleanup(RedisConnection connection)
{
    /// <summary>Traces deleted per pipelined round trip.</summary>
    private const int Chunk = 1000;

    public async Task<int> DeleteTracesAsync(IReadOnlyList<string> baseIds, CancellationToken cancellationToken)
    {
        var ids = baseIds.Where(TracePointRules.IsSafeId).ToHashSet(StringComparer.Ordinal);
        if (ids.Count == 0) return 0;
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in ids.Chunk(Chunk))
        {
            var counts = await connection.RunAsync("delete traces from", async db =>
            {
                var keyspace = RedisKeyspace.For(db.Multiplexer);
                var batch = db.CreateBatch();
                // On a cluster a trace's list and error record are in different slots: one DEL each, and the pin marks go too.
                var pending = keyspace.Cluster
                    ? chunk.Select(id => DeleteOnClusterAsync(batch, id)).ToArray()
                    : chunk.Select(id => batch.KeyDeleteAsync([ListPrefix + id, ErrorPrefix + id])).ToArray();
                var unpinned = batch.SetRemoveAsync(keyspace.Pinned, [.. chunk.Select(id => (RedisValue)id)]);
                var forgotten = RedisSearch.QueueForget(batch, keyspace, chunk);
                batch.Execute();
                await unpinned.ConfigureAwait(false);
                await Task.WhenAll(forgotten).ConfigureAwait(false);
                await RedisSearch.ApplyIndexWritesAsync(db, keyspace, forgotten).ConfigureAwait(false);
                return await Task.WhenAll(pending).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++)
                if (counts[i] > 0) deleted.Add(chunk[i]);
        }
        await connection.RunAsync("delete traces from", async db =>
        {
            var legacy = await ScanAsync(db, LegacyPrefix + "*").ConfigureAwait(false);
            if (legacy.Count == 0) return;
            var doomed = new List<RedisKey>();
            foreach (var (key, value) in await GetStringsAsync(db, legacy).ConfigureAwait(false))
            {
                if (value.IsNullOrEmpty) continue;
                ReadOnlyMemory<byte> bytes = value;
                if (PointSummary.Read(bytes.Span, allFields: false) is { BaseId: { } id } && ids.Contains(id))
                {
                    doomed.Add(key);
                    deleted.Add(id);
                }
            }
            // One DEL per key, pipelined: a multi-key DEL would cross the slots of a cluster.
            var deletes = db.CreateBatch();
            var pending = doomed.Select(k => deletes.KeyDeleteAsync(k)).ToArray();
            deletes.Execute();
            await Task.WhenAll(pending).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return deleted.Count;
    }

    /// <summary>A trace's keys deleted on a cluster, one slot per command: the keys deleted.</summary>
    private static async Task<long> DeleteOnClusterAsync(IBatch batch, string baseId)
    {
        var (listMark, errorMark) = RedisKeyspace.PinMarkers(baseId);
        var list = batch.KeyDeleteAsync([ListPrefix + baseId, listMark]);
        var error = batch.KeyDeleteAsync([ErrorPrefix + baseId, errorMark]);
        return await list.ConfigureAwait(false) + await error.ConfigureAwait(false);
    }
}
