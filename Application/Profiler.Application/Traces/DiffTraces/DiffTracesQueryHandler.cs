using MediatR;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Domain.Reports;
using Profiler.Storage;

namespace Profiler.Application.Traces.DiffTraces;

public sealed class DiffTracesQueryHandler(ITraceStore store) : IRequestHandler<DiffTracesQuery, DiffTracesResult>
{
    public async Task<DiffTracesResult> Handle(DiffTracesQuery request, CancellationToken cancellationToken)
    {
        var a = await TraceReportReader.ReadAsync(store, request.BaseIdA, maxPoints: null, cancellationToken).ConfigureAwait(false);
        var b = request.BaseIdB == request.BaseIdA
            ? a
            : await TraceReportReader.ReadAsync(store, request.BaseIdB, maxPoints: null, cancellationToken).ConfigureAwait(false);
        var missing = new List<string>();
        if (a.Report is null) missing.Add(request.BaseIdA);
        if (b.Report is null && request.BaseIdB != request.BaseIdA) missing.Add(request.BaseIdB);
        if (missing.Count > 0) return new DiffTracesResult(null, missing);
        var analysisA = TraceAnalysis.Analyze(a.Report!);
        var analysisB = ReferenceEquals(a, b) ? analysisA : TraceAnalysis.Analyze(b.Report!);
        return new DiffTracesResult(TraceDiff.Compare(analysisA, analysisB), []);
    }
}
