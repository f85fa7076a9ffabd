using System.Diagnostics;
using Profiler.Application.Common;
using Profiler.Application.Traces.ListTraces;

namespace Profiler.Cli.Commands.Bench;

/// <summary><c>bench list</c>: seeds --traces traces, then times listing all of them, --repeat times.</summary>
internal sealed class ListBench : IBench
{
    public string Name => "list";
    public string Description => "Seed --traces traces, then time listing all of them";

    public async Task<BenchFigures> RunAsync(CliContext context, BenchSettings s, string prefix, CancellationToken ct)
    {
        var mediator = context.Mediator;
        await BenchWriter.WriteAsync(mediator, BenchPoints.Make(prefix, s.Traces * 2, s.Traces, s.PayloadBytes), s, true, ct);
        var latencies = new List<double>();
        var watch = Stopwatch.StartNew();
        long listed = 0;
        for (var r = 0; r < s.Repeat; r++)
        {
            var t = Stopwatch.GetTimestamp();
            var page = await mediator.Send(new ListTracesQuery(Math.Min(s.Traces, TraceListRules.MaxLimit)), ct);
            latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            listed += page.Traces.Count;
        }
        return new BenchFigures(listed, watch.Elapsed.TotalSeconds, latencies, BenchPoints.TraceIds(prefix, s.Traces));
    }
}
