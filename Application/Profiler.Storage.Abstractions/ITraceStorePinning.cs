namespace Profiler.Storage;

/// <summary>
/// Optional capability of an <see cref="ITraceStore"/>: pinning traces. A pinned trace survives retention
/// (<see cref="DriverSettings.Ttl"/>) and pruning (<see cref="ITraceStorePruning"/>) until it is unpinned. Where pins
/// are kept is the driver's (Redis: no expiry on the trace's keys plus a set of pinned ids; SQL: a side table that
/// OSProfiler ignores). Callers test for it (<c>store is ITraceStorePinning</c>) and cope with stores that lack it.
/// </summary>
public interface ITraceStorePinning
{
    /// <summary>Pins or unpins one trace. Pinning a pinned trace, or unpinning an unpinned one, changes nothing.</summary>
    /// <param name="baseId">The trace's base id; an id that is not safe (<see cref="TracePointRules.IsSafeId"/>) is treated as unknown.</param>
    /// <param name="pinned">True to pin, false to unpin.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>False when the store holds no point of that trace (nothing is pinned then).</returns>
    Task<bool> SetPinnedAsync(string baseId, bool pinned, CancellationToken cancellationToken);

    /// <summary>The base ids of the pinned traces that still have points, in no particular order.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<IReadOnlyList<string>> ListPinnedAsync(CancellationToken cancellationToken);
}
