using Profiler.Domain;

namespace Profiler.Storage;

/// <summary>Conveniences over <see cref="ITraceStore"/>.</summary>
public static class TraceStoreExtensions
{
    /// <summary>
    /// Stores a batch under a new batch id (<see cref="ITraceStore.WriteAsync(IReadOnlyList{TracePoint}, Guid, CancellationToken)"/>):
    /// for callers that do not retry. A caller that retries a failed write must keep one id per batch and pass it on
    /// every attempt instead, or a batch whose reply was lost may be stored twice.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="points">The batch (see the interface method).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static Task WriteAsync(this ITraceStore store, IReadOnlyList<TracePoint> points, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.WriteAsync(points, Guid.NewGuid(), cancellationToken);
    }
}
