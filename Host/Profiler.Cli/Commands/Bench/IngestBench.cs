using System.Runtime;

namespace Profiler.Cli.Commands.Bench;

/// <summary><c>bench ingest</c>: the write rate, after an untimed warm-up of the same kind of points.</summary>
internal sealed class IngestBench : IBench
{
    public string Name => "ingest";
    public string Description => "Write --points points in batches from --concurrency writers";
    public bool HasWarmup => true;

    /// <summary>How long the warm-up waits, at most, for the JIT's background compiles after each half.</summary>
    private static readonly TimeSpan MaxJitWait = TimeSpan.FromSeconds(5);

    public async Task<BenchFigures> RunAsync(CliContext context, BenchSettings s, string prefix, CancellationToken ct)
    {
        var mediator = context.Mediator;
        // The warm-up writes the same kind of points, from as many writers, into traces of their own; untimed. In two
        // halves, each followed by a wait for the tiered JIT to finish what the half queued: its background compiles of
        // the hot methods got too little CPU beside four writers to finish within the warm-up, and recompiled some
        // 1,100 methods inside a 1,000,000-point Redis run (0.6 s of CPU of its 1.6 s) when it did not wait.
        var warmupPrefix = prefix + "-warmup";
        var jitWait = TimeSpan.Zero;
        if (s.Warmup > 0)
        {
            var warmup = BenchPoints.Make(warmupPrefix, s.Warmup, s.Traces, s.PayloadBytes);
            var half = (warmup.Count + 1) / 2;
            foreach (var part in (List<Domain.TracePoint>[])[warmup.GetRange(0, half), warmup.GetRange(half, warmup.Count - half)])
            {
                if (part.Count == 0) continue;
                await BenchWriter.WriteAsync(mediator, part, s, false, ct);
                jitWait += await JitSettledAsync(ct);
            }
        }
        var points = BenchPoints.Make(prefix, s.Points, s.Traces, s.PayloadBytes);
        var figures = await BenchWriter.WriteAsync(mediator, points, s, true, ct);
        figures.Extra["warmup_points"] = s.Warmup;
        figures.Extra["warmup_jit_wait_seconds"] = Math.Round(jitWait.TotalSeconds, 3);
        return figures with
        {
            BaseIds = [.. BenchPoints.TraceIds(prefix, BenchPoints.TracesOf(s.Points, s.Traces)),
                .. s.Warmup > 0 ? BenchPoints.TraceIds(warmupPrefix, BenchPoints.TracesOf(s.Warmup, s.Traces)) : []],
        };
    }

    /// <summary>
    /// Waits until the JIT has compiled nothing for two 100 ms polls in a row (at most <see cref="MaxJitWait"/>), and
    /// returns how long that took.
    /// </summary>
    private static async Task<TimeSpan> JitSettledAsync(CancellationToken ct)
    {
        var waited = TimeSpan.Zero;
        var poll = TimeSpan.FromMilliseconds(100);
        for (var quiet = 0; quiet < 2 && waited < MaxJitWait; waited += poll)
        {
            var compiled = JitInfo.GetCompiledMethodCount();
            await Task.Delay(poll, ct);
            quiet = JitInfo.GetCompiledMethodCount() == compiled ? quiet + 1 : 0;
        }
        return waited;
    }
}
