namespace Profiler.Storage;

/// <summary>
/// Optional capability of an <see cref="ITraceStore"/>: deleting whole traces. A driver opts in by implementing it on
/// its store; callers test for it (<c>store is ITraceStoreCleanup</c>) and must cope with stores that do not, so
/// drivers written before it keep working unchanged. <c>profiler bench --cleanup</c> uses it to remove its data.
/// </summary>
public interface ITraceStoreCleanup
{
    /// <summary>
    /// Deletes every stored point of each trace in <paramref name="baseIds"/> (and any index entry of it, such as
    /// Redis's error index) and returns how many traces had something to delete. Unknown ids are ignored; ids that
    /// are not safe ids (<see cref="TracePointRules.IsSafeId"/>) are ignored too.
    /// </summary>
    /// <param name="baseIds">The traces to delete.</param>
    /// <param name="cancellationToken">Cancels the deletion; some traces may then be deleted already.</param>
    /// <returns>How many of the traces had something to delete.</returns>
    Task<int> DeleteTracesAsync(IReadOnlyList<string> baseIds, CancellationToken cancellationToken);
}
