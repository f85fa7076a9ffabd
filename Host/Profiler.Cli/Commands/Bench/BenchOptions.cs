using System.CommandLine;

namespace Profiler.Cli.Commands.Bench;

/// <summary>The options of the bench sub-commands, shared by all of them (<see cref="Warmup"/> by ingest only).</summary>
internal sealed class BenchOptions
{
    public Option<int> Points { get; } = new("--points") { Description = "Points to write (ingest), in the one trace to report (report), or recorded by scopes, two a scope (overhead)", DefaultValueFactory = _ => 100_000 };
    public Option<int> Traces { get; } = new("--traces") { Description = "Traces the points are spread over (ingest) or to list (list)", DefaultValueFactory = _ => 100 };
    public Option<int> Payload { get; } = new("--payload-bytes") { Description = "Bytes of filler in each point's info", DefaultValueFactory = _ => 250 };
    public Option<int> Concurrency { get; } = new("--concurrency") { Description = "Concurrent writers", DefaultValueFactory = _ => 1 };
    public Option<int> Batch { get; } = new("--batch-size") { Description = "Points per write (scopes per timed batch for overhead)", DefaultValueFactory = _ => 1000 };
    public Option<int> Repeat { get; } = new("--repeat") { Description = "Times to repeat a list or report run", DefaultValueFactory = _ => 5 };
    public Option<bool> Json { get; } = new("--json") { Description = "Print one JSON object with the figures" };
    public Option<bool> Cleanup { get; } = new("--cleanup") { Description = "Delete the bench's traces (bench-<run>-*) afterwards" };

    public Option<int?> Warmup { get; } = new("--warmup")
    {
        Description = "Points written before timing starts (ingest), so that the figures are the steady rate, not the runtime's JIT warm-up [default: 40% of --points, at most 1000000]",
    };

    /// <summary>Every option but <see cref="Warmup"/>.</summary>
    public IEnumerable<Option> Shared => [Points, Traces, Payload, Concurrency, Batch, Repeat, Json, Cleanup];

    public BenchSettings Read(ParseResult result, bool warmup)
    {
        var points = result.GetValue(Points);
        return new BenchSettings(points, result.GetValue(Traces), result.GetValue(Payload), result.GetValue(Concurrency),
            result.GetValue(Batch), result.GetValue(Repeat), result.GetValue(Json))
        {
            // 40 %: after a warm-up of 10 % (100,000 of 1,000,000 Redis points) the runtime's tiered compiler was still
            // recompiling the hot code during the timed run (some 850 methods, 0.4 s of JIT time in a 1.6 s run, the
            // client's CPU a point 1.7-1.9 us against 1.4-1.6 us after 40 %): the figure was not the steady rate yet.
            Warmup = warmup ? result.GetValue(Warmup) ?? (int)Math.Min(points * 4L / 10, 1_000_000) : 0,
        };
    }
}
