using MediatR;
using Profiler.Application.Common;
using Profiler.Storage;

namespace Profiler.Application.Traces.ListTraces;

public sealed class ListTracesQueryHandler(ITraceStore store) : IRequestHandler<ListTracesQuery, TracePage>
{
    public Task<TracePage> Handle(ListTracesQuery request, CancellationToken cancellationToken) =>
        store.ListTracesAsync(new TraceListQuery(request.Limit, request.Cursor, request.Fields, request.ErrorsOnly)
        {
            Filter = FilterFor(store, request.Search),
        }, cancellationToken);

    /// <summary>
    /// The store's filter for <paramref name="search"/> (null for none); a store that cannot search is never given one,
    /// since a driver written before filters existed would list every trace.
    /// </summary>
    internal static TraceFilter? FilterFor(ITraceStore store, TraceSearchTerms? search)
    {
        if (search is null || search.IsEmpty) return null;
        if (store is not ITraceStoreSearch)
            throw new CapabilityNotSupportedException("searching traces", nameof(ITraceStoreSearch));
        return search.ToFilter(DateTime.UtcNow);
    }
}
