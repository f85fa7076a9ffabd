using MediatR;
using Profiler.Domain.Reports;
using Profiler.Storage;

namespace Profiler.Application.Traces.GetTraceReport;

public sealed class GetTraceReportQueryHandler(ITraceStore store) : IRequestHandler<GetTraceReportQuery, TraceReport?>
{
    public async Task<TraceReport?> Handle(GetTraceReportQuery request, CancellationToken cancellationToken) =>
        (await TraceReportReader.ReadAsync(store, request.BaseId, maxPoints: null, cancellationToken).ConfigureAwait(false)).Report;
}
