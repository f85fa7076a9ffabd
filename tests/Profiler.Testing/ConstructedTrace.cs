using System.Text;
using System.Text.Json.Nodes;
using Profiler.Domain;

namespace Profiler.Testing;

/// <summary>
/// A trace made up operation by operation, in whole milliseconds, whose critical path, self times and repeated
/// statements are known by construction. <see cref="Points"/> gives OSProfiler points (docs/osprofiler-formats.md §1).
/// </summary>
public sealed class ConstructedTrace(string baseId)
{
    public static readonly DateTime Start = new(2026, 5, 1, 9, 0, 0, DateTimeKind.Utc);

    private readonly List<(string Id, string Parent, string Name, double StartMs, double? EndMs, string? Statement)> _ops = [];

    public string BaseId { get; } = baseId;

    /// <summary>Adds an operation; <paramref name="parent"/> null puts it at the top level; <paramref name="end"/> null leaves it unfinished.</summary>
    public ConstructedTrace Op(string id, string? parent, string name, double start, double? end, string? statement = null)
    {
        _ops.Add((id, parent ?? BaseId, name, start, end, statement));
        return this;
    }

    /// <summary>Start and stop points, ordered by time (starts before stops at equal times).</summary>
    public List<TracePoint> Points()
    {
        var points = new List<(double At, int Order, TracePoint Point)>();
        foreach (var (id, parent, name, start, end, statement) in _ops)
        {
            var info = new JsonObject { ["host"] = "node-1" };
            if (statement is not null) info["db"] = new JsonObject { ["statement"] = statement, ["params"] = new JsonObject() };
            points.Add((start, 0, Point(id, parent, name + "-start", start, info)));
            if (end is { } e) points.Add((e, 1, Point(id, parent, name + "-stop", e, new JsonObject { ["host"] = "node-1" })));
        }
        return points.OrderBy(p => p.At).ThenBy(p => p.Order).Select(p => p.Point).ToList();
    }

    /// <summary>The points as JSON lines, for <c>profiler trace import</c>.</summary>
    public string JsonLines()
    {
        var sb = new StringBuilder();
        foreach (var p in Points()) sb.Append(Encoding.UTF8.GetString(TracePointJson.ToUtf8(p))).Append('\n');
        return sb.ToString();
    }

    /// <summary>The points as stored documents (as a Redis store holds them).</summary>
    public IEnumerable<StoredPoint> StoredPoints() => Points().Select(p => StoredPoint.FromDocument(TracePointJson.ToUtf8(p), null));

    private TracePoint Point(string id, string parent, string name, double ms, JsonObject info) => new()
    {
        Name = name, BaseId = BaseId, TraceId = id, ParentId = parent,
        Timestamp = TraceTimestamp.FromDateTime(Start.AddTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond))).ToString(),
        Info = info, Project = "nova", Service = "api",
    };
}
