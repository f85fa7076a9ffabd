using Profiler.Domain;

namespace Profiler.Storage;

/// <summary>
/// What a use case needs from a trace store. Implemented by every driver plugin.
/// Methods are safe to call concurrently. Failures of the store itself are
/// <see cref="TraceStoreException"/>s whose messages name the store (password redacted).
/// </summary>
public interface ITraceStore : IAsyncDisposable
{
    /// <summary>
    /// Writes a batch of validated points as one unit: one pipelined round trip (Redis) or one transaction (SQL).
    /// Points without project/service get the driver's defaults.
    /// </summary>
    Task WriteAsync(IReadOnlyList<TracePoint> points, CancellationToken cancellationToken);

    /// <summary>
    /// Streams every point of the trace <paramref name="baseId"/> in storage order, without loading the
    /// trace into memory first. Points that cannot be read are yielded as
    /// <see cref="StoredPoint.Unreadable"/>. An unknown trace yields nothing.
    /// </summary>
    IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, CancellationToken cancellationToken);

    /// <summary>
    /// Lists traces, newest first (by the timestamp of each trace's earliest point), one page at a time; with
    /// <see cref="TraceListQuery.ErrorsOnly"/>, only traces that hold a failed operation (a stop point whose
    /// <c>info</c> has <c>etype</c>). Throws <see cref="FormatException"/> for a cursor this driver did not give out.
    /// </summary>
    Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken);
}

/// <summary>A page request for trace listings.</summary>
/// <param name="Limit">Most traces to return (at least 1).</param>
/// <param name="Cursor">Null for the first page, else <see cref="TracePage.NextCursor"/> of the previous page.</param>
/// <param name="Fields">Extra point fields to return per trace, from <see cref="TraceFields.Allowed"/>, taken from the trace's earliest point.</param>
/// <param name="ErrorsOnly">Only traces that hold a failed operation (a stop point with <c>info.etype</c>).</param>
public sealed record TraceListQuery(int Limit, string? Cursor = null, IReadOnlyList<string>? Fields = null, bool ErrorsOnly = false)
{
    public IReadOnlyList<string> Fields { get; init; } = Fields ?? [];
}

/// <summary>One listed trace.</summary>
/// <param name="BaseId">The trace's base id.</param>
/// <param name="Timestamp">Timestamp of the trace's earliest point.</param>
/// <param name="Fields">The requested extra fields (value null where the point has none).</param>
public sealed record TraceSummary(string BaseId, string Timestamp, IReadOnlyDictionary<string, string?> Fields);

/// <summary>A page of traces and the cursor of the next page (null at the end).</summary>
public sealed record TracePage(IReadOnlyList<TraceSummary> Traces, string? NextCursor);

/// <summary>The fields a listing can return beside <c>base_id</c> and <c>timestamp</c>.</summary>
public static class TraceFields
{
    public static readonly IReadOnlyList<string> Allowed =
        ["base_id", "timestamp", "name", "trace_id", "parent_id", "project", "service", "host"];
}
