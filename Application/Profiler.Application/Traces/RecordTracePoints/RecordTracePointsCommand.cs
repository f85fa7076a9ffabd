using MediatR;
using Profiler.Domain;

namespace Profiler.Application.Traces.RecordTracePoints;

/// <summary>Stores a batch of points as one unit. Returns the number stored.</summary>
/// <param name="Points">The batch.</param>
/// <param name="BatchId">
/// The batch's id (<see cref="Profiler.Storage.ITraceStore.WriteAsync(IReadOnlyList{TracePoint}, Guid, CancellationToken)"/>):
/// a caller that retries sends the same id with every attempt, and the store stores the batch once. Null (the default):
/// a new id, for callers that do not retry.
/// </param>
public sealed record RecordTracePointsCommand(IReadOnlyList<TracePoint> Points, Guid? BatchId = null) : IRequest<int>
{
    /// <summary>Most points in one command.</summary>
    public const int MaxBatchSize = 10_000;
}
