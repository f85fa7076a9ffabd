using MediatR;
using Profiler.Storage;
using Profiler.Domain.Reports;

namespace Profiler.Application.Traces.GetTraceReport;

public sealed class GetTraceReportQueryHandler(ITraceStore store) : IRequestHandler<GetTraceReportQuery, TraceReport?>
{
    public async Task<TraceReport?> Handle(GetTraceReportQuery request, CancellationToken cancellationToken)
    {
        var builder = new ReportBuilder();
        await foreach (var point in store.ReadTraceAsync(request.BaseId, cancellationToken).ConfigureAwait(false))
            builder.Add(point);
        return builder.Count == 0 ? null : builder.Build();
    }
}
