namespace Profiler.Storage;

/// <summary>
/// Optional capability of an <see cref="ITraceStore"/>: searching. A store with it honours
/// <see cref="TraceListQuery.Filter"/> in <see cref="ITraceStore.ListTracesAsync"/> (in the backend, on indexes), counts
/// matching traces, and summarises traces another writer (OSProfiler) stored. A store without it must not be given a
/// filter: callers test for it (<c>store is ITraceStoreSearch</c>) and report the missing capability instead, since a
/// driver written before filters existed would list every trace.
/// </summary>
public interface ITraceStoreSearch
{
    /// <summary>How many traces <paramref name="query"/>'s filter and <see cref="TraceListQuery.ErrorsOnly"/> keep
    /// (its limit and cursor are ignored).</summary>
    /// <param name="query">The search.</param>
    /// <param name="cancellationToken">Cancels the count.</param>
    Task<long> CountTracesAsync(TraceListQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Rebuilds the summary (and index entries) of every trace from its points, for traces written by another writer
    /// or changed since; returns how many traces were summarised. May read the whole store; not for hot paths.
    /// </summary>
    /// <param name="cancellationToken">Cancels the rebuild; summaries made so far stay.</param>
    Task<long> ReindexAsync(CancellationToken cancellationToken);
}
