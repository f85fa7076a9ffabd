using System.Diagnostics;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Domain.Reports;

namespace Profiler.Cli.Commands.Bench;

/// <summary><c>bench report</c>: seeds one trace of --points points, then times building and writing its JSON report.</summary>
internal sealed class ReportBench : IBench
{
    public string Name => "report";
    public string Description => "Seed one trace of --points points, then time building its JSON report";

    public async Task<BenchFigures> RunAsync(CliContext context, BenchSettings s, string prefix, CancellationToken ct)
    {
        var mediator = context.Mediator;
        var points = BenchPoints.Make(prefix, s.Points, 1, s.PayloadBytes);
        await BenchWriter.WriteAsync(mediator, points, s, true, ct);
        var latencies = new List<double>();
        var watch = Stopwatch.StartNew();
        for (var r = 0; r < s.Repeat; r++)
        {
            var t = Stopwatch.GetTimestamp();
            var report = await mediator.Send(new GetTraceReportQuery(points[0].BaseId), ct)
                         ?? throw new CliException("the seeded trace was not found", ExitCodes.Store);
            ReportJson.Write(Stream.Null, report);
            latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        return new BenchFigures((long)s.Points * s.Repeat, watch.Elapsed.TotalSeconds, latencies, [points[0].BaseId]);
    }
}
