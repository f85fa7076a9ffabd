using Profiler.Storage;
using StackExchange.Redis;
using static Profiler.Infrastructure.Redis.RedisSchema;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Deletes traces: each one's list and error-index record (one <c>DEL</c> per trace, pipelined, and one <c>SREM</c> of
/// their ids from the pinned set), and, when the legacy
/// schema is present, its legacy point keys (found by one <c>SCAN</c> and checked by the point's own base id).
/// </summary>
internal sealed class RedisTraceCleanup(RedisConnection connection)
{
    /// <summary>Traces deleted per pipelined round trip, and legacy keys per <c>DEL</c>.</summary>
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
                var batch = db.CreateBatch();
                var pending = chunk.Select(id => batch.KeyDeleteAsync([ListPrefix + id, ErrorPrefix + id])).ToArray();
                var unpinned = batch.SetRemoveAsync(PinnedKey, [.. chunk.Select(id => (RedisValue)id)]);
                var forgotten = RedisSearch.QueueForget(batch, chunk);
                batch.Execute();
                await unpinned.ConfigureAwait(false);
                await forgotten.ConfigureAwait(false);
                return await Task.WhenAll(pending).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++)
                if (counts[i] > 0) deleted.Add(chunk[i]);
        }
        await connection.RunAsync("delete traces from", async db =>
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
            foreach (var chunk in doomed.Chunk(Chunk))
                await db.KeyDeleteAsync(chunk).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return deleted.Count;
    }
}
