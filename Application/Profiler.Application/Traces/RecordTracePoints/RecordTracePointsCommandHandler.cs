using MediatR;
using Profiler.Storage;

namespace Profiler.Application.Traces.RecordTracePoints;

public sealed class RecordTracePointsCommandHandler(ITraceStore store) : IRequestHandler<RecordTracePointsCommand, int>
{
    public async Task<int> Handle(RecordTracePointsCommand request, CancellationToken cancellationToken)
    {
        await store.WriteAsync(request.Points, request.BatchId ?? Guid.NewGuid(), cancellationToken).ConfigureAwait(false);
        return request.Points.Count;
    }
}
