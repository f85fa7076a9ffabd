using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Profiler.Instrumentation;

namespace Profiler.Cli.Commands.Bench;

/// <summary>
/// <c>bench overhead</c>: a trace scope's cost on the caller's thread, <c>using (profiler.Trace("db")) { }</c> with a
/// <see cref="TraceNotifier"/> in front of this store (its batcher writes through the use case while the scopes
/// run). Scopes are timed in batches of --batch-size; between batches (untimed) the notifier is flushed so that no
/// event is dropped, because a dropped event would be cheaper than a queued one. Reports the median and p99 of the
/// per-batch means, and the overall mean, after a warm-up of 10 batches. Against the platform's own primitive, in the
/// same process and the same way (batches alternating with the scopes'): a <see cref="Activity"/> started and stopped
/// from an <see cref="ActivitySource"/> whose <see cref="ActivityListener"/> samples everything
/// (<see cref="ActivitySamplingResult.AllDataAndRecorded"/>): <c>activity_ns_median</c> and the ratio
/// <c>scope_to_activity_ratio</c> (goal: at most 1.5).
/// </summary>
internal sealed class OverheadBench : IBench
{
    private const int WarmupBatches = 10;
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(60);

    public string Name => "overhead";
    public string Description => "Time a trace scope's start+stop on the caller's thread, with this store's driver behind the notifier";

    public async Task<BenchFigures> RunAsync(CliContext context, BenchSettings s, string prefix, CancellationToken ct)
    {
        var scopes = Math.Max(1, s.Points / 2);
        var perBatch = Math.Min(s.BatchSize, scopes);
        var baseId = prefix + "-0";
        await using var notifier = new TraceNotifier(context.Mediator,
            new TraceNotifierOptions { BufferSize = Math.Max(10_000, perBatch * 2 + 1000) },
            context.LoggerFactory.CreateLogger<TraceNotifier>());
        var profiler = new TraceProfiler(null, notifier, baseId, host: "bench");
        using var source = new ActivitySource("Profiler.Bench.Overhead");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => ReferenceEquals(s, source),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        void RunScopes(int count)
        {
            for (var i = 0; i < count; i++)
            {
                using var scope = profiler.Trace("db");
            }
        }

        void RunActivities(int count)
        {
            for (var i = 0; i < count; i++)
            {
                using var activity = source.StartActivity("db");
            }
        }

        for (var w = 0; w < WarmupBatches; w++)
        {
            RunScopes(perBatch);
            await notifier.FlushAsync(FlushTimeout, ct);
            RunActivities(perBatch);
        }
        var warmupPoints = notifier.SentCount;
        var nsPerScope = new List<double>();
        var nsPerActivity = new List<double>();
        var latencies = new List<double>();
        using var bar = s.ShowProgress ? new ProgressBar(scopes) : null;
        long timedTicks = 0, done = 0;
        while (done < scopes)
        {
            var count = (int)Math.Min(perBatch, scopes - done);
            var started = Stopwatch.GetTimestamp();
            RunScopes(count);
            var elapsed = Stopwatch.GetTimestamp() - started;
            timedTicks += elapsed;
            var seconds = (double)elapsed / Stopwatch.Frequency;
            nsPerScope.Add(seconds * 1e9 / count);
            latencies.Add(seconds * 1e3);
            var activityStarted = Stopwatch.GetTimestamp();
            RunActivities(count);
            nsPerActivity.Add(Stopwatch.GetElapsedTime(activityStarted).TotalNanoseconds / count);
            done += count;
            bar?.Report(done);
            if (!await notifier.FlushAsync(FlushTimeout, ct))
                throw new CliException($"the store did not take the bench's points within {FlushTimeout.TotalSeconds:0} s ({context.ShownConnectionString})",
                    ExitCodes.Store);
        }
        var timed = (double)timedTicks / Stopwatch.Frequency;
        var scopeMedian = BenchPrinter.Percentile(nsPerScope, 0.5);
        var activityMedian = BenchPrinter.Percentile(nsPerActivity, 0.5);
        return new BenchFigures(done * 2, timed, latencies, [baseId])
        {
            Extra = new JsonObject
            {
                ["scopes"] = done,
                ["ns_per_scope_median"] = Math.Round(scopeMedian, 1),
                ["ns_per_scope_p99"] = Math.Round(BenchPrinter.Percentile(nsPerScope, 0.99), 1),
                ["ns_per_scope_mean"] = Math.Round(timed * 1e9 / done, 1),
                ["activity_ns_median"] = Math.Round(activityMedian, 1),
                ["scope_to_activity_ratio"] = activityMedian > 0 ? Math.Round(scopeMedian / activityMedian, 2) : 0,
                ["scopes_per_batch"] = perBatch,
                ["points_stored"] = notifier.SentCount - warmupPoints,
                ["points_dropped"] = notifier.DroppedCount,
            },
        };
    }
}
