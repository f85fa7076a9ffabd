using Profiler.Domain.Reports;
using Profiler.Storage;

namespace Profiler.Application.Traces.GetTraceReport;

/// <summary>A report read from a store, and whether the trace held more points than were read.</summary>
/// <param name="Report">The report of the points read; null when the store has no point of the trace.</param>
/// <param name="Partial">True when the read stopped at its point limit: the report covers only the points read.</param>
public sealed record TraceReportRead(TraceReport? Report, bool Partial);

/// <summary>
/// The one place a report is built from a store's stream of points: the full report (<see cref="GetTraceReportQuery"/>)
/// and the bounded one behind the list page's overview (<see cref="GetTraceOverviews.GetTraceOverviewsQuery"/>).
/// </summary>
public static class TraceReportReader
{
    /// <summary>
    /// Streams the points of <paramref name="baseId"/> into a <see cref="ReportBuilder"/>, at most
    /// <paramref name="maxPoints"/> of them (default null: every point), without loading the trace first.
    /// </summary>
    public static async Task<TraceReportRead> ReadAsync(ITraceStore store, string baseId, int? maxPoints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var builder = new ReportBuilder();
        var partial = false;
        await foreach (var point in store.ReadTraceAsync(baseId, cancellationToken).ConfigureAwait(false))
        {
            if (builder.Count >= maxPoints)
            {
                partial = true;
                break;
            }
            builder.Add(point);
        }
        return new TraceReportRead(builder.Count == 0 ? null : builder.Build(), partial);
    }
}
