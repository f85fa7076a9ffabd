using System.Runtime.CompilerServices;
using Profiler.Domain;
using Profiler.Storage;
using StackExchange.Redis;
using static Profiler.Infrastructure.Redis.RedisSchema;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// Streams one trace: its legacy point keys first (as OSProfiler reads them), then its list, newest point first, in
/// chunks of <see cref="ReadChunk"/> with the next chunk requested while the current one is handed out.
/// </summary>
internal sealed class RedisTraceReader(RedisConnection connection)
{
    /// <summary>Points read per <c>LRANGE</c>.</summary>
    public const int ReadChunk = 10_000;

    public async IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // An id that could select other keys in a pattern (or is no id at all) names no trace.
        if (!TracePointRules.IsSafeId(baseId)) yield break;

        // Legacy points first, as OSProfiler reads them: keys osprofiler:<base_id>…, one point each.
        // One pool for the trace: the texts its points repeat are held once however many points it has.
        var pool = new StringPool();
        var legacy = await connection.RunAsync("read a trace from", db => ReadLegacyAsync(db, baseId, pool), cancellationToken)
            .ConfigureAwait(false);
        foreach (var point in legacy) yield return point;

        // Then the list, newest first. Chunks are addressed from the tail, where points pushed meanwhile cannot shift them.
        var key = (RedisKey)(ListPrefix + baseId);
        var (length, chunk) = await connection.RunAsync("read a trace from", async db =>
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
                next = connection.RunAsync("read a trace from", db => db.ListRangeAsync(key, start, stop), cancellationToken);
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
        foreach (var (_, value) in await GetStringsAsync(db, keys).ConfigureAwait(false))
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
}
