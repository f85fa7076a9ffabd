using Profiler.Storage;
using Profiler.Domain;

namespace Profiler.Hosting.Web;

/// <summary>What the list page shows of one trace beyond base id and start: duration, size, failures.</summary>
/// <param name="DurationMs">Earliest to latest point, in whole milliseconds; null when no point was readable.</param>
/// <param name="Operations">Distinct operations (trace ids) seen.</param>
/// <param name="ErrorType">The exception type of the first failed operation seen, or null.</param>
/// <param name="Partial">True when the trace holds more points than were read: the numbers are lower bounds.</param>
internal sealed record TraceOverview(long? DurationMs, int Operations, string? ErrorType, bool Partial)
{
    /// <summary>
    /// Reads at most <paramref name="maxPoints"/> points of each trace, four traces at a time, so the cost of a list
    /// page is bounded by its size whatever the traces hold.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, TraceOverview>> ForAsync(ITraceStore store,
        IReadOnlyList<string> baseIds, int maxPoints, CancellationToken ct)
    {
        var result = new System.Collections.Concurrent.ConcurrentDictionary<string, TraceOverview>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(baseIds, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (id, token) => result[id] = await OneAsync(store, id, maxPoints, token));
        return result;
    }

    private static async Task<TraceOverview> OneAsync(ITraceStore store, string baseId, int maxPoints, CancellationToken ct)
    {
        TraceTimestamp? first = null, last = null;
        var operations = new HashSet<string>(StringComparer.Ordinal);
        string? error = null;
        var read = 0;
        var partial = false;
        await foreach (var point in store.ReadTraceAsync(baseId, ct))
        {
            if (++read > maxPoints)
            {
                partial = true;
                break;
            }
            if (!point.IsReadable) continue;
            if (first is null || point.Timestamp < first) first = point.Timestamp;
            if (last is null || point.Timestamp > last) last = point.Timestamp;
            operations.Add(point.TraceId);
            if (error is null && point.ErrorType is { } etype && point.Name.EndsWith("-stop", StringComparison.Ordinal)) error = etype;
        }
        return new TraceOverview(first is null ? null : last!.Value.MillisecondsSince(first.Value), operations.Count, error, partial);
    }
}
