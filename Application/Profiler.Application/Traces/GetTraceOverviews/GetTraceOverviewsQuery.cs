using MediatR;

namespace Profiler.Application.Traces.GetTraceOverviews;

/// <summary>
/// What a listing shows of each trace beyond base id and start: duration, size, first failure. Reads at most
/// <paramref name="MaxPointsPerTrace"/> points of each trace, so the cost is bounded by the number of traces asked for,
/// whatever they hold. Traces the store has no point of are left out of the answer.
/// </summary>
/// <param name="BaseIds">The traces, each a safe id; at most <see cref="MaxTraces"/>.</param>
/// <param name="MaxPointsPerTrace">Most points read of one trace, 1 to <see cref="MaxPointsLimit"/>.</param>
public sealed record GetTraceOverviewsQuery(IReadOnlyList<string> BaseIds, int MaxPointsPerTrace)
    : IRequest<IReadOnlyDictionary<string, TraceOverview>>
{
    /// <summary>Most traces in one query.</summary>
    public const int MaxTraces = 10_000;

    /// <summary>Largest <see cref="MaxPointsPerTrace"/>.</summary>
    public const int MaxPointsLimit = 10_000_000;
}

/// <summary>The overview of one trace.</summary>
/// <param name="DurationMs">Earliest to latest point read, in whole milliseconds; null when no point was readable.</param>
/// <param name="Operations">Distinct operations (trace ids) read.</param>
/// <param name="ErrorType">The exception type of the first failed operation (in report order), or null.</param>
/// <param name="Partial">True when the trace holds more points than were read: the numbers are lower bounds.</param>
public sealed record TraceOverview(long? DurationMs, int Operations, string? ErrorType, bool Partial);
