namespace Profiler.Storage;

/// <summary>A request for one page of a trace listing (<see cref="ITraceStore.ListTracesAsync"/>).</summary>
/// <param name="Limit">Most traces to return, at least 1.</param>
/// <param name="Cursor">
/// Null for the first page, else the <see cref="TracePage.NextCursor"/> of the previous page. Opaque: only the driver
/// that gave it out knows its form, and a driver throws <see cref="FormatException"/> for any other text.
/// </param>
/// <param name="Fields">Extra point fields to return for each trace, from <see cref="TraceFields.Allowed"/>, taken from
/// the trace's earliest point. Default: none.</param>
/// <param name="ErrorsOnly">Only traces that hold a failed operation (a stop point with <c>info.etype</c>). Default false.</param>
public sealed record TraceListQuery(int Limit, string? Cursor = null, IReadOnlyList<string>? Fields = null, bool ErrorsOnly = false)
{
    /// <summary>Extra point fields to return for each trace (never null; empty by default).</summary>
    public IReadOnlyList<string> Fields { get; init; } = Fields ?? [];

    /// <summary>
    /// Only traces this filter keeps (null, the default, or an empty filter: every trace). Only a store with
    /// <see cref="ITraceStoreSearch"/> honours it; a cursor given out for one filter continues only that filter.
    /// </summary>
    public TraceFilter? Filter { get; init; }
}
