using MediatR;
using Profiler.Storage;

namespace Profiler.Application.Traces.ListTraces;

public sealed class ListTracesQueryHandler(ITraceStore store) : IRequestHandler<ListTracesQuery, TracePage>
{
    public Task<TracePage> Handle(ListTracesQuery request, CancellationToken cancellationToken) =>
        store.ListTracesAsync(new TraceListQuery(request.Limit, request.Cursor, request.Fields, request.ErrorsOnly), cancellationToken);
}
