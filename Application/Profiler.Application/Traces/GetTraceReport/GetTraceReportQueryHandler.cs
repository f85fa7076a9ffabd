using MediatR;
using Profiler.Storage;
using Profiler.Domain.Reports;

namespace Profiler.Application.Traces.GetTraceReport;

public sealed class GetTraceReportQueryHandler(ITraceStore store) : IRequestHandler<GetTraceReportQuery, TraceReport?>
{
    public async Task<TraceReport?> Handle(GetTraceReportQuery request, CancellationToken cancellationToken) =>
        (await TraceReportReader.ReadAsync(store, request.BaseId, maxPoints: null, cancellationToken).ConfigureAwait(false)).Report;
}
