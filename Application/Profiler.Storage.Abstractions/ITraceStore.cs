using Profiler.Domain;

namespace Profiler.Storage;

/// <summary>
/// A trace store: what the use cases need from storage. A driver's <see cref="ITraceStoreDriver.Open"/> returns one.
/// </summary>
/// <remarks>
/// <para>Every method is safe to call concurrently from several threads, takes a <see cref="CancellationToken"/> and
/// never blocks the calling thread on the network. A failure of the store itself (unreachable, refused, missing
/// privileges, server too old) is a <see cref="TraceStoreException"/> whose message names the store, with its password
/// redacted (<see cref="ConnectionString.ScrubPassword"/>); a bad argument is an <see cref="ArgumentException"/> or
/// <see cref="FormatException"/> naming the value.</para>
/// <para>Optional capabilities (<see cref="ITraceStoreCleanup"/>) are further interfaces the same store object may
/// implement; callers test for them and cope with stores that do not.</para>
/// <para><c>tests/Profiler.Testing</c>'s contract suite checks every rule stated here; <c>docs/driver-contract.md</c> explains them.</para>
/// </remarks>
public interface ITraceStore : IAsyncDisposable
{
    /// <summary>
    /// Stores a batch of points as one unit: one pipelined round trip (Redis) or one transaction (SQL), so that a batch
    /// is either stored whole or, when the call throws, not at all as far as the store can tell. Exactly once: a store
    /// that has already stored a batch with <paramref name="batchId"/> stores nothing and returns normally; the check is
    /// atomic with the write, so a caller that lost the reply to a write (a cut connection, a timeout after the server
    /// applied it) may send the same batch with the same id again, even concurrently, and it is stored once. A store
    /// that refuses some points for good (sending them again would be refused again) while it stores the others throws
    /// <see cref="TracePointsRefusedException"/> naming them, every time the batch is sent; the caller counts them and
    /// does not retry.
    /// </summary>
    /// <param name="points">
    /// Points that passed <see cref="TracePointRules.IsValid"/>. A point without <see cref="TracePoint.Project"/>,
    /// <see cref="TracePoint.Service"/> or <see cref="TracePoint.Host"/> gets <see cref="DriverSettings.Project"/>,
    /// <see cref="DriverSettings.Service"/> or <see cref="DriverSettings.Host"/>; a value the point carries always wins.
    /// </param>
    /// <param name="batchId">
    /// The batch's id, chosen by the caller once per batch and sent again, unchanged, with every retry of the same
    /// points. A store remembers the ids it stored for at least a day (drivers document how long); a retry later than
    /// that may be stored again. Callers that never retry use the overload without an id
    /// (<see cref="TraceStoreExtensions.WriteAsync(ITraceStore, IReadOnlyList{TracePoint}, CancellationToken)"/>), which passes a new one.
    /// </param>
    /// <param name="cancellationToken">Cancels the write; the batch may then be stored or not (a retry with the same
    /// <paramref name="batchId"/> settles it).</param>
    Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken);

    /// <summary>
    /// Streams every point of one trace in storage order, without loading the whole trace into memory first.
    /// </summary>
    /// <param name="baseId">The trace's base id. An unknown id, or one that is not a safe id
    /// (<see cref="TracePointRules.IsSafeId"/>), yields nothing.</param>
    /// <param name="cancellationToken">Stops the stream.</param>
    /// <returns>The points; a stored point that cannot be read is yielded as <see cref="StoredPoint.Unreadable"/>
    /// so that the rest of the trace still reports.</returns>
    IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, CancellationToken cancellationToken);

    /// <summary>
    /// Lists traces one page at a time, newest first by the timestamp of each trace's earliest point (the point with
    /// the smallest timestamp; on a tie, the one stored first). With <see cref="TraceListQuery.ErrorsOnly"/>, only
    /// traces that hold a failed operation (a stop point whose <c>info</c> has <c>etype</c>).
    /// </summary>
    /// <param name="query">Page size, cursor, extra fields and the errors-only flag.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    /// <returns>One page; <see cref="TracePage.NextCursor"/> is null after the last one. Paging from the first page to
    /// the last returns every trace that existed throughout exactly once.</returns>
    /// <exception cref="FormatException">The cursor is not one this driver gave out.</exception>
    Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken);
}
