using System.Text.Json.Nodes;
using Profiler.Domain;

namespace Profiler.Storage.Testing;

/// <summary>An OSProfiler fixture's points as <see cref="TracePoint"/>s, in the order OSProfiler wrote them.</summary>
/// <param name="BaseId">The trace's base id.</param>
/// <param name="Points">Chronological write order (Redis lists are reversed back; SQL rows keep insertion order).</param>
/// <param name="SqlHost">For SQL fixtures the <c>host</c> column, which OSProfiler's driver took from its own settings.</param>
public sealed record FixtureTrace(string BaseId, IReadOnlyList<TracePoint> Points, string? SqlHost)
{
    /// <summary>Reads the fixture of <paramref name="shape"/> (e.g. <c>simple</c>) for <paramref name="backend"/> (<c>redis</c> or <c>mysql</c>).</summary>
    public static FixtureTrace Load(string shape, string backend)
    {
        var lines = OsProfilerFixtures.PointLines(shape, backend).Where(l => l.Trim().Length > 0).ToList();
        string? host = null;
        var points = new List<TracePoint>();
        foreach (var line in lines)
        {
            if (backend == "redis")
            {
                points.Add(TracePointJson.Parse(line));
                continue;
            }
            var row = JsonNode.Parse(line)!.AsObject();
            host = (string?)row["host"];
            var data = JsonNode.Parse((string)row["data"]!)!.AsObject();
            points.Add(new TracePoint
            {
                Name = (string)row["name"]!, BaseId = (string)row["base_id"]!, TraceId = (string)row["trace_id"]!,
                ParentId = (string)row["parent_id"]!, Timestamp = (string)row["timestamp"]!,
                Info = data["info"]?.DeepClone().AsObject(), Project = (string?)row["project"], Service = (string?)row["service"],
            });
        }
        if (backend == "redis") points.Reverse();
        return new FixtureTrace(points[0].BaseId, points, host);
    }

    /// <summary>OSProfiler's own report for the fixture.</summary>
    public static JsonNode Report(string shape, string backend) =>
        JsonNode.Parse(OsProfilerFixtures.ReadText($"{shape}.{backend}.report.json"))!;

    /// <summary>
    /// OSProfiler's report for the fixture as Profiler stores its points: each node's <c>host</c> is its start point's
    /// own <c>info.host</c> where it has one, since a point's host wins over <see cref="Profiler.Storage.DriverSettings.Host"/>
    /// (contract decision D4). OSProfiler's SQL driver stored its own host setting instead; for Redis fixtures the
    /// report is unchanged.
    /// </summary>
    public static JsonNode ReportWithOwnHosts(string shape, string backend)
    {
        var report = Report(shape, backend);
        foreach (var child in report["children"]!.AsArray()) UseOwnHost(child!);
        return report;

        static void UseOwnHost(JsonNode node)
        {
            var info = node["info"]!.AsObject();
            var payloads = info.Where(kv => kv.Key.StartsWith("meta.raw_payload.", StringComparison.Ordinal)).ToList();
            var start = payloads.FirstOrDefault(kv => kv.Key.EndsWith("-start", StringComparison.Ordinal));
            var payload = start.Value ?? payloads.FirstOrDefault().Value;
            if (payload?["info"]?["host"] is JsonValue host && host.TryGetValue<string>(out var own)) info["host"] = own;
            foreach (var child in node["children"]!.AsArray()) UseOwnHost(child!);
        }
    }
}
