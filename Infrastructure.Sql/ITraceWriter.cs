namespace Profiler.Infrastructure.Sql;

/// <summary>
/// Inserts trace points into table <c>data</c> the way one server does it best; one a store. A batch is stored whole
/// or not at all; its rows keep the batch's order; failures are <see cref="Profiler.Storage.TraceStoreException"/>s.
/// Rows are filled by <see cref="DataColumns"/> and <see cref="OsProfilerData"/>, the same on every server.
/// </summary>
internal interface ITraceWriter : IAsyncDisposable
{
    /// <summary>
    /// Stores <paramref name="points"/> (not empty) in one transaction, exactly once: the transaction starts by
    /// recording <paramref name="batchId"/> in <see cref="SqlBatchLog"/>, and stores nothing when it was there.
    /// </summary>
    Task WriteAsync(IReadOnlyList<Profiler.Domain.TracePoint> points, Guid batchId, CancellationToken cancellationToken);
}
