namespace Profiler.Storage;

/// <summary>
/// Optional capability of an <see cref="ITraceStore"/>: what the store holds. Callers test for it
/// (<c>store is ITraceStoreStatistics</c>) and cope with stores that lack it.
/// </summary>
public interface ITraceStoreStatistics
{
    /// <summary>Counts the store's traces and points. May read the whole store; not for hot paths.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<TraceStoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken);
}

/// <summary>What a store holds.</summary>
/// <param name="Traces">Traces (distinct base ids).</param>
/// <param name="Points">Points.</param>
/// <param name="Oldest">The oldest point's timestamp in OSProfiler's text form; null for an empty store.</param>
/// <param name="Newest">The newest point's timestamp in OSProfiler's text form; null for an empty store.</param>
/// <param name="Bytes">Bytes the data takes where the backend can tell; else null.</param>
/// <param name="Pinned">Pinned traces (0 for a store without <see cref="ITraceStorePinning"/>).</param>
public sealed record TraceStoreStatistics(long Traces, long Points, string? Oldest, string? Newest, long? Bytes, long Pinned);
