using System.Globalization;
using System.Text.Json.Nodes;
using Profiler.Domain;

namespace Profiler.Cli.Commands.Bench;

/// <summary>The bench's data: run ids, base ids, and the points written.</summary>
internal static class BenchPoints
{
    /// <summary>A run id: UTC time to the second and six random hex digits.</summary>
    public static string RunId() => DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)
                                    + "-" + Guid.NewGuid().ToString("N")[..6];

    /// <summary>The base ids of <paramref name="traces"/> traces under <paramref name="prefix"/>.</summary>
    public static List<string> TraceIds(string prefix, int traces) => Enumerable.Range(0, traces).Select(t => $"{prefix}-{t}").ToList();

    /// <summary>How many traces <see cref="Make"/> spreads <paramref name="count"/> points over.</summary>
    public static int TracesOf(long count, int traces) => (int)Math.Min(traces, (count + 1) / 2);

    /// <summary>
    /// Points of operations spread over <paramref name="traces"/> traces, start/stop pairs, built before timing. Points
    /// share their base id strings and one read-only <c>info</c> object: the stores serialise each point in full all
    /// the same, but the bench's own data stays small, so the garbage collector measures the store, not the bench.
    /// </summary>
    public static List<TracePoint> Make(string prefix, int count, int traces, int payloadBytes)
    {
        var info = new JsonObject { ["host"] = "bench" };
        if (payloadBytes > 0) info["payload"] = new string('x', payloadBytes);
        var baseIds = new string[TracesOf(count, traces)];
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
}
