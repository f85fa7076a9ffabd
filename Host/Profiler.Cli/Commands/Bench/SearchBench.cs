using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Profiler.Application.Traces.CountTraces;
using Profiler.Application.Traces.ListTraces;
using Profiler.Domain;

namespace Profiler.Cli.Commands.Bench;

/// <summary>
/// <c>bench search</c> (docs/search.md): fills the store with --traces traces (default 100,000) of four points each —
/// ten root services, five child operations, durations from 1 ms to 10 s, starts spread over the last 24 hours, 1 %
/// failed — then times the first page (20 traces) of several searches against the unfiltered <c>trace list --limit 20</c>
/// on the same store, --repeat times each (median reported), and the first search after the fill on its own (it also
/// catches up summaries). The goal: every search within 2× the unfiltered page.
/// </summary>
internal sealed class SearchBench : IBench
{
    public const int TracesByDefault = 100_000;
    private const int PageSize = 20;

    public string Name => "search";
    int? IBench.DefaultTraces => TracesByDefault;
    public string Description => "Fill --traces traces (default 100000), then time the first page of filtered searches against an unfiltered 'trace list --limit 20'";

    /// <summary>The searches timed, by name.</summary>
    internal static readonly (string Name, TraceSearchTerms Terms, bool Errors)[] Searches =
    [
        ("service", new TraceSearchTerms(Service: "svc3"), false),
        ("name+min-duration", new TraceSearchTerms(Name: "rpc.call", MinDuration: "1s"), false),
        ("since", new TraceSearchTerms(Since: "1h"), false),
        ("min-duration", new TraceSearchTerms(MinDuration: "5s"), false),
        ("errors+service", new TraceSearchTerms(Service: "svc7"), true),
        ("service+host+max-duration", new TraceSearchTerms(Service: "svc6", Host: "node-2", MaxDuration: "3ms"), false),
    ];

    private static readonly string[] Children = ["db.query", "rpc.call", "cache.get", "http.get", "queue.put"];

    public async Task<BenchFigures> RunAsync(CliContext context, BenchSettings s, string prefix, CancellationToken ct)
    {
        var mediator = context.Mediator;
        var fill = await BenchWriter.WriteAsync(mediator, Make(prefix, s.Traces, s.PayloadBytes), s, true, ct);

        var first = Stopwatch.GetTimestamp();
        await mediator.Send(new ListTracesQuery(PageSize) { Search = Searches[0].Terms }, ct);
        var firstSearchMs = Stopwatch.GetElapsedTime(first).TotalMilliseconds;

        async Task<(double Median, int Rows)> TimeAsync(ListTracesQuery query)
        {
            var latencies = new List<double>();
            var rows = 0;
            for (var r = 0; r < s.Repeat; r++)
            {
                var t = Stopwatch.GetTimestamp();
                var page = await mediator.Send(query, ct);
                latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                rows = page.Traces.Count;
            }
            return (BenchPrinter.Percentile(latencies, 0.5), rows);
        }

        var (unfiltered, _) = await TimeAsync(new ListTracesQuery(PageSize));
        var searches = new JsonObject();
        var all = new List<double> { unfiltered };
        var worst = 0.0;
        foreach (var (name, terms, errors) in Searches)
        {
            var (median, rows) = await TimeAsync(new ListTracesQuery(PageSize, ErrorsOnly: errors) { Search = terms });
            var t = Stopwatch.GetTimestamp();
            var total = await mediator.Send(new CountTracesQuery(terms, errors), ct);
            var countMs = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            var ratio = unfiltered > 0 ? median / unfiltered : 0;
            worst = Math.Max(worst, ratio);
            all.Add(median);
            searches[name] = new JsonObject
            {
                ["p50_ms"] = Math.Round(median, 3), ["ratio"] = Math.Round(ratio, 2), ["rows"] = rows, ["matches"] = total,
                ["count_ms"] = Math.Round(countMs, 3),
            };
            if (!s.Json)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"search {name,-27} first page p50 {median,9:F2} ms = {ratio,5:F2}× unfiltered; {total} matches (count {countMs:F1} ms)"));
        }
        if (!s.Json)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"unfiltered 'trace list --limit {PageSize}' p50 {unfiltered:F2} ms; first search after the fill {firstSearchMs:F1} ms; worst ratio {worst:F2}× (goal ≤ 2×)"));
        return new BenchFigures(fill.Points, fill.Seconds, all, BenchPoints.TraceIds(prefix, s.Traces))
        {
            Extra = new JsonObject
            {
                ["traces"] = s.Traces, ["unfiltered_p50_ms"] = Math.Round(unfiltered, 3), ["first_search_ms"] = Math.Round(firstSearchMs, 3),
                ["worst_ratio"] = Math.Round(worst, 2), ["searches"] = searches,
            },
        };
    }

    /// <summary>
    /// Four points a trace (root <c>wsgi</c> on <c>svc&lt;n&gt;</c>, one child operation on <c>backend</c>), base ids
    /// <c>&lt;prefix&gt;-&lt;n&gt;</c>; deterministic (seeded), so runs compare.
    /// </summary>
    internal static List<TracePoint> Make(string prefix, int traces, int payloadBytes)
    {
        var random = new Random(42);
        var now = DateTime.UtcNow;
        var span = TimeSpan.FromHours(24);
        var infos = Enumerable.Range(0, 4).Select(h =>
        {
            var info = new JsonObject { ["host"] = $"node-{h}" };
            if (payloadBytes > 0) info["payload"] = new string('x', payloadBytes);
            return info;
        }).ToArray();
        var failed = new JsonObject { ["host"] = "node-0", ["etype"] = "TimeoutError", ["message"] = "bench" };
        var points = new List<TracePoint>(traces * 4);
        for (var t = 0; t < traces; t++)
        {
            var baseId = $"{prefix}-{t}";
            var start = now - span + span * t / traces;
            var duration = TimeSpan.FromMilliseconds(Math.Pow(10, random.NextDouble() * 4)); // 1 ms to 10 s
            var service = "svc" + (t % 10).ToString(CultureInfo.InvariantCulture);
            var child = Children[random.Next(Children.Length)];
            var info = infos[t % infos.Length];
            var root = baseId + "-r";
            var op = baseId + "-c";
            TracePoint P(string name, string traceId, string parentId, DateTime at, JsonObject i, string svc) => new()
            {
                Name = name, BaseId = baseId, TraceId = traceId, ParentId = parentId,
                Timestamp = TraceTimestamp.FromDateTime(at).ToString(), Info = i, Project = "bench", Service = svc,
            };
            points.Add(P("wsgi-start", root, baseId, start, info, service));
            points.Add(P(child + "-start", op, root, start + duration / 4, info, "backend"));
            points.Add(P(child + "-stop", op, root, start + duration * 3 / 4, t % 100 == 7 ? failed : info, "backend"));
            points.Add(P("wsgi-stop", root, baseId, start + duration, info, service));
        }
        return points;
    }
}
