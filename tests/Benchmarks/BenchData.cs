using System.Text.Json.Nodes;
using Profiler.Domain;

namespace Profiler.Benchmarks;

/// <summary>Points shaped like <c>profiler bench</c>'s: start/stop pairs of one operation each, 250 bytes of filler.</summary>
public static class BenchData
{
    public static TracePoint Point(int i, string baseId = "bench-trace", int payloadBytes = 250)
    {
        var op = $"op-{i / 2:D8}-0000-0000-0000-000000000000";
        var info = new JsonObject { ["host"] = "bench-host" };
        if (payloadBytes > 0) info["payload"] = new string('x', payloadBytes);
        return new TracePoint
        {
            Name = i % 2 == 0 ? "db-start" : "db-stop", BaseId = baseId, TraceId = op, ParentId = baseId,
            Timestamp = TraceTimestamp.FromDateTime(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(i * 10L)).ToString(),
            Info = info, Project = "bench", Service = "bench",
        };
    }

    /// <summary>The stored documents (UTF-8 JSON) of <paramref name="count"/> points.</summary>
    public static byte[][] Documents(int count) =>
        Enumerable.Range(0, count).Select(i => TracePointJson.ToUtf8(Point(i))).ToArray();
}
