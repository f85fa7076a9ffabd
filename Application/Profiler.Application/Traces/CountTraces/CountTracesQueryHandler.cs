using MediatR;
using Profiler.Application.Common;
using Profiler.Application.Traces.ListTraces;
using Profiler.Storage;

namespace Profiler.Application.Traces.CountTraces;

public sealed class CountTracesQueryHandler(ITraceStore store) : IRequestHandler<CountTracesQuery, long>
{
    public Task<long> Handle(CountTracesQuery request, CancellationToken cancellationToken)
    {
        if (store is not ITraceStoreSearch search)
            throw new CapabilityNotSupportedException("counting traces", nameof(ITraceStoreSearch));
        return search.CountTracesAsync(new TraceListQuery(1, ErrorsOnly: request.ErrorsOnly)
        {
            Filter = ListTracesQueryHandler.FilterFor(store, request.Search),
        }, cancellationToken);
    }
}
