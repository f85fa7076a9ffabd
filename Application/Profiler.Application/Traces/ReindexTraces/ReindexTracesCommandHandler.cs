using MediatR;
using Profiler.Application.Common;
using Profiler.Storage;

namespace Profiler.Application.Traces.ReindexTraces;

public sealed class ReindexTracesCommandHandler(ITraceStore store) : IRequestHandler<ReindexTracesCommand, long>
{
    public Task<long> Handle(ReindexTracesCommand request, CancellationToken cancellationToken) =>
        store is ITraceStoreSearch search
            ? search.ReindexAsync(cancellationToken)
            : throw new CapabilityNotSupportedException("reindexing traces for search", nameof(ITraceStoreSearch));
}
