namespace Profiler.Storage;

/// <summary>One listed trace.</summary>
/// <param name="BaseId">The trace's base id.</param>
/// <param name="Timestamp">Timestamp of the trace's earliest point (its start), in OSProfiler's text form (<c>YYYY-MM-DDTHH:MM:SS.ffffff</c>, UTC).</param>
/// <param name="Fields">The requested extra fields (<see cref="TraceListQuery.Fields"/>), each mapped to the earliest
/// point's value, or to null where that point has none.</param>
/// <remarks>The summary members below are filled by stores that keep per-trace summaries (<see cref="ITraceStoreSearch"/>);
/// a store without them leaves their defaults (null, empty).</remarks>
public sealed record TraceSummary(string BaseId, string Timestamp, IReadOnlyDictionary<string, string?> Fields)
{
    /// <summary>Milliseconds from the earliest point to the latest; null when the store keeps no summary.</summary>
    public double? DurationMs { get; init; }

    /// <summary>The root operation: the name of the earliest point without its <c>-start</c>/<c>-stop</c> suffix; null when unknown.</summary>
    public string? Root { get; init; }

    /// <summary>The distinct services of the trace's points, sorted ordinally; empty when unknown.</summary>
    public IReadOnlyList<string> Services { get; init; } = [];

    /// <summary>Operations of the trace (its <c>-start</c> points); null when unknown.</summary>
    public int? Operations { get; init; }

    /// <summary>Whether the trace holds a failed operation (a stop point with <c>info.etype</c>); null when unknown.</summary>
    public bool? Error { get; init; }
}
