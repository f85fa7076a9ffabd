using System.Collections.Concurrent;
using MediatR;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Domain.Reports;
using Profiler.Storage;

namespace Profiler.Application.Traces.GetTraceOverviews;

public sealed class GetTraceOverviewsQueryHandler(ITraceStore store)
    : IRequestHandler<GetTraceOverviewsQuery, IReadOnlyDictionary<string, TraceOverview>>
{
    /// <summary>Traces read at once.</summary>
    private const int Parallelism = 4;

    public async Task<IReadOnlyDictionary<string, TraceOverview>> Handle(GetTraceOverviewsQuery request, CancellationToken cancellationToken)
    {
        var result = new ConcurrentDictionary<string, TraceOverview>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(request.BaseIds.Distinct(StringComparer.Ordinal),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (id, token) =>
            {
                var read = await TraceReportReader.ReadAsync(store, id, request.MaxPointsPerTrace, token).ConfigureAwait(false);
                if (read.Report is { } report) result[id] = Overview(report, read.Partial);
            }).ConfigureAwait(false);
        return result;
    }

    private static TraceOverview Overview(TraceReport report, bool partial)
    {
        var operations = 0;
        string? error = null;
        var stack = new Stack<ReportNode>();
        for (var i = report.Children.Count - 1; i >= 0; i--) stack.Push(report.Children[i]);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            operations++;
            if (error is null && node.Exception is { } e && e != "None") error = e;
            for (var i = node.Children.Count - 1; i >= 0; i--) stack.Push(node.Children[i]);
        }
        return new TraceOverview(report.PointCount == 0 ? null : report.Finished, operations, error, partial);
    }
}
