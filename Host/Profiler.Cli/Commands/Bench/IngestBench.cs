namespace Profiler.Cli.Commands.Bench;

/// <summary><c>bench ingest</c>: the write rate, after an untimed warm-up of the same kind of points.</summary>
internal sealed class IngestBench : IBench
{
    public string Name => "ingest";
    public string Description => "Write --points points in batches from --concurrency writers";
    public bool HasWarmup => true;

    public async Task<BenchFigures> RunAsync(CliContext context, BenchSettings s, string prefix, CancellationToken ct)
    {
        var mediator = context.Mediator;
        // The warm-up writes the same kind of points, from as many writers, into traces of their own; untimed.
        var warmupPrefix = prefix + "-warmup";
        if (s.Warmup > 0)
            await BenchWriter.WriteAsync(mediator, BenchPoints.Make(warmupPrefix, s.Warmup, s.Traces, s.PayloadBytes), s, false, ct);
        var points = BenchPoints.Make(prefix, s.Points, s.Traces, s.PayloadBytes);
        var figures = await BenchWriter.WriteAsync(mediator, points, s, true, ct);
        figures.Extra["warmup_points"] = s.Warmup;
        return figures with
        {
            BaseIds = [.. BenchPoints.TraceIds(prefix, BenchPoints.TracesOf(s.Points, s.Traces)),
                .. s.Warmup > 0 ? BenchPoints.TraceIds(warmupPrefix, BenchPoints.TracesOf(s.Warmup, s.Traces)) : []],
        };
    }
}
