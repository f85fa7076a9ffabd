using MediatR;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Domain.Reports;
using Profiler.Storage;

namespace Profiler.Application.Traces.AnalyzeTrace;

public sealed class AnalyzeTraceQueryHandler(ITraceStore store) : IRequestHandler<AnalyzeTraceQuery, TraceAnalysis?>
{
    public async Task<TraceAnalysis?> Handle(AnalyzeTraceQuery request, CancellationToken cancellationToken)
    {
        var read = await TraceReportReader.ReadAsync(store, request.BaseId, maxPoints: null, cancellationToken).ConfigureAwait(false);
        return read.Report is null ? null : TraceAnalysis.Analyze(read.Report);
    }
}
