using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MediatR;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Application.Traces.ListTraces;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Domain;
using Profiler.Domain.Reports;

namespace Profiler.Cli.Commands;

/// <summary>
/// <c>profiler bench ingest|list|report</c>: measures a store through the same use cases the applications use,
/// like redis-benchmark measures a server. Data goes under base ids starting with <c>bench-</c>.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CommonOptions common)
    {
        var points = new Option<int>("--points") { Description = "Points to write (ingest) or in the one trace to report (report)", DefaultValueFactory = _ => 100_000 };
        var traces = new Option<int>("--traces") { Description = "Traces the points are spread over (ingest) or to list (list)", DefaultValueFactory = _ => 100 };
        var payload = new Option<int>("--payload-bytes") { Description = "Bytes of filler in each point's info", DefaultValueFactory = _ => 250 };
        var concurrency = new Option<int>("--concurrency") { Description = "Concurrent writers", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch-size") { Description = "Points per write", DefaultValueFactory = _ => 1000 };
        var repeat = new Option<int>("--repeat") { Description = "Times to repeat a list or report run", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object with the figures" };

        Command Sub(string name, string description, Func<ParseResult, IMediator, Settings, CancellationToken, Task<Figures>> run)
        {
            var command = new Command(name, description) { points, traces, payload, concurrency, batch, repeat, json };
            command.SetAction((result, ct) => CliErrors.Run(async () =>
            {
                var settings = new Settings(result.GetValue(points), result.GetValue(traces), result.GetValue(payload),
                    result.GetValue(concurrency), result.GetValue(batch), result.GetValue(repeat), result.GetValue(json));
                settings.Check();
                await using var context = common.Context(result);
                var figures = await run(result, context.Mediator, settings, ct);
                Print(name, context.ShownConnectionString, figures, settings.Json);
                return ExitCodes.Ok;
            }));
            return command;
        }

        return new Command("bench", "Measure a store: ingest rate, listing and report latency")
        {
            Sub("ingest", "Write --points points in batches from --concurrency writers", (_, m, s, ct) => IngestAsync(m, s, ct)),
            Sub("list", "Seed --traces traces, then time listing all of them", (_, m, s, ct) => ListAsync(m, s, ct)),
            Sub("report", "Seed one trace of --points points, then time building its JSON report", (_, m, s, ct) => ReportAsync(m, s, ct)),
        };
    }

    internal sealed record Settings(int Points, int Traces, int PayloadBytes, int Concurrency, int BatchSize, int Repeat, bool Json)
    {
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
        }
    }

    internal sealed record Figures(long Points, double Seconds, List<double> LatenciesMs, string? BaseId = null);

    private static string RunId() => DateTime.UtcNow.ToString("yyyyMMddHHmmss") + "-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>Points of operations spread over <paramref name="traces"/> traces, start/stop pairs, built before timing.</summary>
    private static List<TracePoint> MakePoints(string prefix, int count, int traces, int payloadBytes)
    {
        var filler = new string('x', payloadBytes);
        var at = DateTime.UtcNow.AddMinutes(-1);
        var list = new List<TracePoint>(count);
        for (var i = 0; i < count; i++)
        {
            var trace = i / 2 % traces;
            var baseId = $"{prefix}-{trace}";
            var op = $"{prefix}-op{i / 2}";
            var start = i % 2 == 0;
            var info = new JsonObject { ["host"] = "bench" };
            if (payloadBytes > 0) info["payload"] = filler;
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
        var batches = points.Chunk(s.BatchSize).ToList();
        var latencies = new double[batches.Count];
        var next = -1;
        var done = 0L;
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
        return new Figures(points.Count, watch.Elapsed.TotalSeconds, [.. latencies]);
    }

    private static async Task<Figures> IngestAsync(IMediator mediator, Settings s, CancellationToken ct)
    {
        var points = MakePoints("bench-" + RunId(), s.Points, s.Traces, s.PayloadBytes);
        return await WriteAsync(mediator, points, s, !s.Json && !Console.IsErrorRedirected, ct);
    }

    private static async Task<Figures> ListAsync(IMediator mediator, Settings s, CancellationToken ct)
    {
        await WriteAsync(mediator, MakePoints("bench-" + RunId(), s.Traces * 2, s.Traces, s.PayloadBytes), s, false, ct);
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
        return new Figures(listed, watch.Elapsed.TotalSeconds, latencies);
    }

    private static async Task<Figures> ReportAsync(IMediator mediator, Settings s, CancellationToken ct)
    {
        var points = MakePoints("bench-" + RunId(), s.Points, 1, s.PayloadBytes);
        await WriteAsync(mediator, points, s, false, ct);
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
        return new Figures((long)s.Points * s.Repeat, watch.Elapsed.TotalSeconds, latencies, points[0].BaseId);
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

    private static void Print(string mode, string store, Figures f, bool json)
    {
        var rate = f.Seconds > 0 ? f.Points / f.Seconds : 0;
        var result = new JsonObject
        {
            ["mode"] = mode, ["store"] = store, ["points"] = f.Points, ["seconds"] = Math.Round(f.Seconds, 4),
            ["points_per_second"] = Math.Round(rate), ["p50_ms"] = Math.Round(Percentile(f.LatenciesMs, 0.5), 3),
            ["p99_ms"] = Math.Round(Percentile(f.LatenciesMs, 0.99), 3), ["peak_rss_bytes"] = PeakRssBytes(),
        };
        if (json) Console.WriteLine(result.ToJsonString());
        else
            Console.WriteLine($"{mode} on {store}: {f.Points} points in {f.Seconds:F3} s = {rate:F0} points/s; " +
                              $"per operation p50 {result["p50_ms"]} ms, p99 {result["p99_ms"]} ms; peak RSS {PeakRssBytes() / 1048576} MiB");
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
