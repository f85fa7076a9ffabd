using MediatR;
using Profiler.Application.Common;
using Profiler.Storage;

namespace Profiler.Application.Stores.GetStoreStatistics;

public sealed class GetStoreStatisticsQueryHandler(ITraceStore store) : IRequestHandler<GetStoreStatisticsQuery, TraceStoreStatistics>
{
    public Task<TraceStoreStatistics> Handle(GetStoreStatisticsQuery request, CancellationToken cancellationToken) =>
        store is ITraceStoreStatistics statistics
            ? statistics.GetStatisticsAsync(cancellationToken)
            : throw new CapabilityNotSupportedException("store statistics", nameof(ITraceStoreStatistics));
}
