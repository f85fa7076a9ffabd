using MediatR;
using Profiler.Domain;

namespace Profiler.Application.Traces.RecordTracePoints;

/// <summary>Stores a batch of points as one unit. Returns the number stored.</summary>
public sealed record RecordTracePointsCommand(IReadOnlyList<TracePoint> Points) : IRequest<int>
{
    /// <summary>Most points in one command.</summary>
    public const int MaxBatchSize = 10_000;
}
