using MediatR;
using Profiler.Storage;

namespace Profiler.Application.Traces.ListErrorTraces;

public sealed class ListErrorTracesQueryHandler(ITraceStore store) : IRequestHandler<ListErrorTracesQuery, TracePage>
{
    public Task<TracePage> Handle(ListErrorTracesQuery request, CancellationToken cancellationToken) =>
        store.ListErrorTracesAsync(new TraceListQuery(request.Limit, request.Cursor, request.Fields), cancellationToken);
}
