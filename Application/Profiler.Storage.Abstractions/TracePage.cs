namespace Profiler.Storage;

/// <summary>A page of a trace listing.</summary>
/// <param name="Traces">The traces of this page, newest first.</param>
/// <param name="NextCursor">The cursor of the next page (<see cref="TraceListQuery.Cursor"/>), or null when this is the last page.</param>
public sealed record TracePage(IReadOnlyList<TraceSummary> Traces, string? NextCursor);
