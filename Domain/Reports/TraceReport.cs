namespace Profiler.Domain.Reports;

/// <summary>
/// OSProfiler's report of one trace (docs/osprofiler-formats.md §4): a forest of timed operations under a root
/// named <c>total</c>, and per-operation stats. Times are whole milliseconds from the trace's earliest point.
/// </summary>
public sealed class TraceReport
{
    /// <summary>Milliseconds from the earliest to the latest point; null for a trace with no points.</summary>
    public long? Finished { get; init; }

    /// <summary>Milliseconds from the earliest point to the latest start point; null when there is none.</summary>
    public long? LastTraceStarted { get; init; }

    /// <summary>Top-level operations, ordered by start time.</summary>
    public required IReadOnlyList<ReportNode> Children { get; init; }

    /// <summary>Per operation name, in order of first appearance: node count and summed duration.</summary>
    public required IReadOnlyList<KeyValuePair<string, OperationStats>> Stats { get; init; }

    /// <summary>Points in the trace that were read.</summary>
    public int PointCount { get; init; }

    /// <summary>Stored points that could not be read (corrupt JSON, missing fields) and were left out.</summary>
    public int SkippedPoints { get; init; }
}

/// <summary>Count of nodes and the sum of their durations (ms) for one operation name.</summary>
public readonly record struct OperationStats(int Count, long Duration);

/// <summary>One traced operation: its start and stop points joined by <see cref="TraceId"/>.</summary>
public sealed class ReportNode
{
    public required string TraceId { get; init; }
    public required string ParentId { get; init; }
    /// <summary>The point name without <c>-start</c>/<c>-stop</c> (OSProfiler cuts at the first <c>-</c>; this keeps the rest).</summary>
    public required string Name { get; init; }
    public string? Project { get; init; }
    public string? Service { get; init; }
    public string? Host { get; init; }
    public long Started { get; init; }
    public long Finished { get; init; }
    /// <summary>Null when no stop point arrived; otherwise <c>"None"</c> or the stop point's <c>info.etype</c>.</summary>
    public string? Exception { get; init; }
    /// <summary>Stored documents by point name (<c>meta.raw_payload.&lt;name&gt;</c>), JSON text in UTF-8.</summary>
    public required IReadOnlyList<KeyValuePair<string, ReadOnlyMemory<byte>>> RawPayloads { get; init; }
    public List<ReportNode> Children { get; } = [];

    /// <summary><see cref="Finished"/> minus <see cref="Started"/>.</summary>
    public long Duration => Finished - Started;
}
