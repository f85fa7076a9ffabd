using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MediatR;
using Microsoft.Extensions.Logging;
using Profiler.Storage;
using Profiler.Instrumentation;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Application.Traces.ListTraces;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Domain;
using Profiler.Domain.Reports;

namespace Profiler.Cli.Commands;

/// <summary>
/// <c>profiler bench ingest|list|report|overhead</c>: measures a store through the same use cases the applications use,
/// like redis-benchmark measures a server. Data goes under base ids <c>bench-&lt;run&gt;-&lt;n&gt;</c>; <c>--cleanup</c>
/// deletes it afterwards where the store supports deleting (<see cref="ITraceStoreCleanup"/>).
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CommonOptions common)
    {
        var points = new Option<int>("--points") { Description = "Points to write (ingest), in the one trace to report (report), or recorded by scopes, two a scope (overhead)", DefaultValueFactory = _ => 100_000 };
        var traces = new Option<int>("--traces") { Description = "Traces the points are spread over (ingest) or to list (list)", DefaultValueFactory = _ => 100 };
        var payload = new Option<int>("--payload-bytes") { Description = "Bytes of filler in each point's info", DefaultValueFactory = _ => 250 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent writers", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch-size") { Description = "Points per write (scopes per timed batch for overhead)", DefaultValueFactory = _ => 1000 };
        var repeat = new Option<int>("--repeat") { Description = "Times to repeat a list or report run", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the figures" };
        var cleanup = new Option<bool>("--cleanup") { Description = "Delete the bench's traces (bench-<run>-*) afterwards" };
        var warmup = new Option<int?>("--warmup")
        {
            Description = "Points written before timing starts (ingest), so that the figures are the steady rate, not the runtime's JIT warm-up [default: 10% of --points, at most 100000]",
        };

        Command Sub(string name, string description, Func<CliContext, Settings, string, CancellationToken, Task<Figures>> run,
            params Option[] own)
        {
            var command = new Command(name, description) { points, traces, payload, concurrency, batch, repeat, json, cleanup };
            foreach (var option in own) command.Options.Add(option);
            command.SetAction((result, ct) => CliErrors.Run(async () =>
            {
                var settings = new Settings(result.GetValue(points), result.GetValue(traces), result.GetValue(payload),
                    result.GetValue(concurrency), result.GetValue(batch), result.GetValue(repeat), result.GetValue(json))
                {
                    Warmup = own.Contains(warmup) ? result.GetValue(warmup) ?? Math.Min(result.GetValue(points) / 10, 100_000) : 0,
                };
                settings.Check();
                await using var context = common.Context(result);
                var prefix = "bench-" + RunId();
                var figures = await run(context, settings, prefix, ct);
                var cleaned = result.GetValue(cleanup) ? await CleanupAsync(context, figures.BaseIds, settings.Json, ct) : null;
                Print(name, context.ShownConnectionString, prefix, figures, cleaned, settings.Json);
                return ExitCodes.Ok;
            }));
            return command;
        }

        return new Command("bench", "Measure a store: ingest rate, listing and report latency, trace scope overhead")
        {
            Sub("ingest", "Write --points points in batches from --concurrency writers", (c, s, p, ct) => IngestAsync(c.Mediator, s, p, ct), warmup),
            Sub("list", "Seed --traces traces, then time listing all of them", (c, s, p, ct) => ListAsync(c.Mediator, s, p, ct)),
            Sub("report", "Seed one trace of --points points, then time building its JSON report", (c, s, p, ct) => ReportAsync(c.Mediator, s, p, ct)),
            Sub("overhead", "Time a trace scope's start+stop on the caller's thread, with this store's driver behind the notifier",
                (c, s, p, ct) => OverheadAsync(c, s, p, ct)),
        };
    }

    internal sealed record Settings(int Points, int Traces, int PayloadBytes, int Concurrency, int BatchSize, int Repeat, bool Json)
    {
        /// <summary>Points ingest writes, untimed, before the timed points.</summary>
        public int Warmup { get; init; }

        public void Check()
        {
            void Range(string name, int value, int min, int max)
            {
                if (value < min || value > max) throw new CliException($"--{name} {value} is out of range: use {min} to {max}");
            }
            Range("points", Points, 1, 100_000_000);
            Range("traces", Traces, 1, 10_000_000);
            Range("payload-bytes", PayloadBytes, 0, 1_000_000);
            Range("concurrency", Concurrency, 1, 1024);
            Range("batch-size", BatchSize, 1, RecordTracePointsCommand.MaxBatchSize);
            Range("repeat", Repeat, 1, 1000);
            Range("warmup", Warmup, 0, 100_000_000);
        }
    }

    /// <summary>What a run measured: points handled, seconds timed, per-operation latencies, the traces it wrote.</summary>
    internal sealed record Figures(long Points, double Seconds, List<double> LatenciesMs, IReadOnlyList<string> BaseIds)
    {
        /// <summary>Extra figures of one mode, printed after the common ones.</summary>
        public JsonObject Extra { get; init; } = [];
    }

    private static string RunId() => DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture)
                                     + "-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>The base ids of <paramref name="traces"/> traces under <paramref name="prefix"/>.</summary>
    private static List<string> TraceIds(string prefix, int traces) => Enumerable.Range(0, traces).Select(t => $"{prefix}-{t}").ToList();

    /// <summary>
    /// Points of operations spread over <paramref name="traces"/> traces, start/stop pairs, built before timing. Points
    /// share their base id strings and one read-only <c>info</c> object: the stores serialise each point in full all
    /// the same, but the bench's own data stays small, so the garbage collector measures the store, not the bench.
    /// </summary>
    private static List<TracePoint> MakePoints(string prefix, int count, int traces, int payloadBytes)
    {
        var info = new JsonObject { ["host"] = "bench" };
        if (payloadBytes > 0) info["payload"] = new string('x', payloadBytes);
        var baseIds = new string[Math.Min(traces, (count + 1) / 2)];
        var at = DateTime.UtcNow.AddMinutes(-1);
        var list = new List<TracePoint>(count);
        var op = "";
        for (var i = 0; i < count; i++)
        {
            var trace = i / 2 % traces;
            var baseId = baseIds[trace] ??= $"{prefix}-{trace}";
            var start = i % 2 == 0;
            if (start) op = $"{prefix}-op{i / 2}";
            list.Add(new TracePoint
            {
                Name = start ? "db-start" : "db-stop", BaseId = baseId, TraceId = op, ParentId = baseId,
                Timestamp = TraceTimestamp.FromDateTime(at.AddTicks(i * 10L)).ToString(), Info = info,
                Project = "bench", Service = "bench",
            });
        }
        return list;
    }

    private static async Task<Figures> WriteAsync(IMediator mediator, List<TracePoint> points, Settings s, bool progress, CancellationToken ct)
    {
        var figures = await WriteBatchesAsync(mediator, points, s, progress && ShowProgress(s), ct);
        return figures;
    }

    private static bool ShowProgress(Settings s) => !s.Json && !Console.IsErrorRedirected;

    private static async Task<Figures> WriteBatchesAsync(IMediator mediator, List<TracePoint> points, Settings s, bool progress, CancellationToken ct)
    {
        var batches = points.Chunk(s.BatchSize).ToList();
        var latencies = new double[batches.Count];
        var next = -1;
        var done = 0L;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        int[] collections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        using var bar = progress ? new ProgressBar(points.Count) : null;
        await Task.WhenAll(Enumerable.Range(0, s.Concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < batches.Count)
            {
                var t = Stopwatch.GetTimestamp();
                await mediator.Send(new RecordTracePointsCommand(batches[i]), ct);
                latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                bar?.Report(Interlocked.Add(ref done, batches[i].Length));
            }
        }, ct)));
        var seconds = watch.Elapsed.TotalSeconds;
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        return new Figures(points.Count, seconds, [.. latencies], [])
        {
            // The client's side of the rate: CPU of this whole process (writers, driver, runtime), garbage
            // collections (gen 0, 1, 2) and bytes allocated while the points were written, so that a run on a busy machine can still be compared.
            Extra = new JsonObject
            {
                ["cpu_seconds"] = Math.Round(cpu.TotalSeconds, 3),
                ["gc_collections"] = new JsonArray(Enumerable.Range(0, 3).Select(g => (JsonNode)(GC.CollectionCount(g) - collections[g])).ToArray()),
                ["allocated_bytes"] = GC.GetTotalAllocatedBytes(precise: true) - allocated,
            },
        };
    }

    private static async Task<Figures> IngestAsync(IMediator mediator, Settings s, string prefix, CancellationToken ct)
    {
        // The warm-up writes the same kind of points, from as many writers, into traces of their own; untimed.
        var warmupPrefix = prefix + "-warmup";
        if (s.Warmup > 0)
            await WriteBatchesAsync(mediator, MakePoints(warmupPrefix, s.Warmup, s.Traces, s.PayloadBytes), s, false, ct);
        var points = MakePoints(prefix, s.Points, s.Traces, s.PayloadBytes);
        var figures = await WriteAsync(mediator, points, s, true, ct);
        figures.Extra["warmup_points"] = s.Warmup;
        return figures with
        {
            BaseIds = [.. TraceIds(prefix, (int)Math.Min(s.Traces, (s.Points + 1L) / 2)),
                .. s.Warmup > 0 ? TraceIds(warmupPrefix, (int)Math.Min(s.Traces, (s.Warmup + 1L) / 2)) : []],
        };
    }

    private static async Task<Figures> ListAsync(IMediator mediator, Settings s, string prefix, CancellationToken ct)
    {
        await WriteAsync(mediator, MakePoints(prefix, s.Traces * 2, s.Traces, s.PayloadBytes), s, true, ct);
        var latencies = new List<double>();
        var watch = Stopwatch.StartNew();
        long listed = 0;
        for (var r = 0; r < s.Repeat; r++)
        {
            var t = Stopwatch.GetTimestamp();
            var page = await mediator.Send(new ListTracesQuery(Math.Min(s.Traces, Application.Common.TraceListRules.MaxLimit)), ct);
            latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            listed += page.Traces.Count;
        }
        return new Figures(listed, watch.Elapsed.TotalSeconds, latencies, TraceIds(prefix, s.Traces));
    }

    private static async Task<Figures> ReportAsync(IMediator mediator, Settings s, string prefix, CancellationToken ct)
    {
        var points = MakePoints(prefix, s.Points, 1, s.PayloadBytes);
        await WriteAsync(mediator, points, s, true, ct);
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
        return new Figures((long)s.Points * s.Repeat, watch.Elapsed.TotalSeconds, latencies, [points[0].BaseId]);
    }

    /// <summary>
    /// A trace scope's cost on the caller's thread: <c>using (profiler.Trace("db")) { }</c> with a
    /// <see cref="TraceNotifier"/> in front of this store (its batcher writes through the use case while the scopes
    /// run). Scopes are timed in batches of --batch-size; between batches (untimed) the notifier is flushed so that no
    /// event is dropped, because a dropped event would be cheaper than a queued one. Reports the median and p99 of the
    /// per-batch means, and the overall mean, after a warm-up of 10 batches.
    /// </summary>
    private static async Task<Figures> OverheadAsync(CliContext context, Settings s, string prefix, CancellationToken ct)
    {
        var scopes = Math.Max(1, s.Points / 2);
        var perBatch = Math.Min(s.BatchSize, scopes);
        var baseId = prefix + "-0";
        await using var notifier = new TraceNotifier(context.Mediator,
            new TraceNotifierOptions { BufferSize = Math.Max(10_000, perBatch * 2 + 1000) },
            context.LoggerFactory.CreateLogger<TraceNotifier>());
        var profiler = new TraceProfiler(null, notifier, baseId, host: "bench");

        void RunScopes(int count)
        {
            for (var i = 0; i < count; i++)
            {
                using var scope = profiler.Trace("db");
            }
        }

        for (var w = 0; w < 10; w++)
        {
            RunScopes(perBatch);
            await notifier.FlushAsync(TimeSpan.FromSeconds(60), ct);
        }
        var warmupPoints = notifier.SentCount;
        var nsPerScope = new List<double>();
        var latencies = new List<double>();
        using var bar = ShowProgress(s) ? new ProgressBar(scopes) : null;
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
            done += count;
            bar?.Report(done);
            if (!await notifier.FlushAsync(TimeSpan.FromSeconds(60), ct))
                throw new CliException($"the store did not take the bench's points within 60 s ({context.ShownConnectionString})", ExitCodes.Store);
        }
        var timed = (double)timedTicks / Stopwatch.Frequency;
        return new Figures(done * 2, timed, latencies, [baseId])
        {
            Extra = new JsonObject
            {
                ["scopes"] = done,
                ["ns_per_scope_median"] = Math.Round(Percentile(nsPerScope, 0.5), 1),
                ["ns_per_scope_p99"] = Math.Round(Percentile(nsPerScope, 0.99), 1),
                ["ns_per_scope_mean"] = Math.Round(timed * 1e9 / done, 1),
                ["scopes_per_batch"] = perBatch,
                ["points_stored"] = notifier.SentCount - warmupPoints,
                ["points_dropped"] = notifier.DroppedCount,
            },
        };
    }

    /// <summary>Deletes the run's traces; null when the store cannot delete (its driver predates <see cref="ITraceStoreCleanup"/>).</summary>
    private static async Task<JsonObject> CleanupAsync(CliContext context, IReadOnlyList<string> baseIds, bool json, CancellationToken ct)
    {
        if (context.Store is not ITraceStoreCleanup cleanup)
        {
            Console.Error.WriteLine($"profiler: --cleanup: the driver of {context.ShownConnectionString} cannot delete traces " +
                                    $"(it does not implement {nameof(ITraceStoreCleanup)}); the bench's traces were left in place");
            return new JsonObject { ["supported"] = false, ["deleted_traces"] = 0 };
        }
        var watch = Stopwatch.StartNew();
        var deleted = await cleanup.DeleteTracesAsync(baseIds, ct);
        return new JsonObject { ["supported"] = true, ["deleted_traces"] = deleted, ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 3) };
    }

    private static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Clamp(Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    /// <summary>Peak resident set size of this process (Linux VmHWM), in bytes; 0 where unknown.</summary>
    internal static long PeakRssBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Environment.WorkingSet;
    }

    private static void Print(string mode, string store, string prefix, Figures f, JsonObject? cleanup, bool json)
    {
        var rate = f.Seconds > 0 ? f.Points / f.Seconds : 0;
        var result = new JsonObject
        {
            ["mode"] = mode, ["store"] = store, ["run"] = prefix, ["points"] = f.Points, ["seconds"] = Math.Round(f.Seconds, 4),
            ["points_per_second"] = Math.Round(rate), ["p50_ms"] = Math.Round(Percentile(f.LatenciesMs, 0.5), 3),
            ["p99_ms"] = Math.Round(Percentile(f.LatenciesMs, 0.99), 3), ["peak_rss_bytes"] = PeakRssBytes(),
        };
        foreach (var (key, value) in f.Extra.ToList())
        {
            f.Extra.Remove(key);
            result[key] = value;
        }
        if (cleanup is not null) result["cleanup"] = cleanup;
        if (json)
        {
            Console.WriteLine(result.ToJsonString());
            return;
        }
        Console.WriteLine($"{mode} on {store}: {f.Points} points in {f.Seconds:F3} s = {rate:F0} points/s; " +
                          $"per operation p50 {result["p50_ms"]} ms, p99 {result["p99_ms"]} ms; peak RSS {PeakRssBytes() / 1048576} MiB");
        if (mode == "overhead")
            Console.WriteLine($"trace scope start+stop: median {result["ns_per_scope_median"]} ns, p99 {result["ns_per_scope_p99"]} ns, " +
                              $"mean {result["ns_per_scope_mean"]} ns (per-batch means of {result["scopes_per_batch"]} scopes); " +
                              $"{result["points_stored"]} points stored, {result["points_dropped"]} dropped");
        Console.WriteLine(cleanup is null ? $"data left under base ids {prefix}-*"
            : (bool)cleanup["supported"]! ? $"cleanup: deleted {cleanup["deleted_traces"]} traces under {prefix}-*"
            : $"cleanup: not supported by this store; data left under base ids {prefix}-*");
    }

    private sealed class ProgressBar(long total) : IDisposable
    {
        private long _last = -1;

        public void Report(long done)
        {
            var percent = total == 0 ? 100 : done * 100 / total;
            if (Interlocked.Exchange(ref _last, percent) == percent) return;
            var width = 40;
            var filled = (int)(percent * width / 100);
            Console.Error.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {percent,3}%");
        }

        public void Dispose() => Console.Error.WriteLine();
    }
}
