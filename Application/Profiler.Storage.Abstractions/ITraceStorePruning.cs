namespace Profiler.Storage;

/// <summary>
/// Optional capability of an <see cref="ITraceStore"/>: removing old traces, those OSProfiler wrote included. Callers
/// test for it (<c>store is ITraceStorePruning</c>) and cope with stores that lack it.
/// </summary>
public interface ITraceStorePruning
{
    /// <summary>
    /// Deletes every whole trace whose NEWEST point is older than <paramref name="cutoff"/> (so a trace still being
    /// written is never cut), except pinned traces (<see cref="ITraceStorePinning"/>). Works in bounded batches: no
    /// single transaction, script or lock holds the backend for long.
    /// </summary>
    /// <param name="cutoff">Traces whose newest point's timestamp is before this UTC time are removed.</param>
    /// <param name="dryRun">Only count what would be removed.</param>
    /// <param name="cancellationToken">Stops between batches; what was removed by then stays removed.</param>
    /// <returns>The traces and points removed (or that would be, with <paramref name="dryRun"/>).</returns>
    Task<PruneResult> PruneAsync(DateTime cutoff, bool dryRun, CancellationToken cancellationToken);
}

/// <summary>What a prune removed.</summary>
/// <param name="Traces">Whole traces removed.</param>
/// <param name="Points">Points removed with them.</param>
public sealed record PruneResult(long Traces, long Points);
