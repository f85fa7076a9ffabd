namespace Profiler.Storage;

/// <summary>One listed trace.</summary>
/// <param name="BaseId">The trace's base id.</param>
/// <param name="Timestamp">Timestamp of the trace's earliest point, in OSProfiler's text form (<c>YYYY-MM-DDTHH:MM:SS.ffffff</c>, UTC).</param>
/// <param name="Fields">The requested extra fields (<see cref="TraceListQuery.Fields"/>), each mapped to the earliest
/// point's value, or to null where that point has none.</param>
public sealed record TraceSummary(string BaseId, string Timestamp, IReadOnlyDictionary<string, string?> Fields);
