using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Domain.Reports;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql.Tests;

internal static class SqlServerTestKit
{
    public static async Task<TraceReport?> ReportAsync(ITraceStore store, string baseId)
    {
        var builder = new ReportBuilder();
        await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None)) builder.Add(p);
        return builder.Count == 0 ? null : builder.Build();
    }

    public static IReadOnlyList<TracePoint> Points(string baseId, int count, int infoBytes = 0, string name = "db")
    {
        var at = new DateTime(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        var filler = new string('x', infoBytes);
        return Enumerable.Range(0, count).Select(i => new TracePoint
        {
            Name = i % 2 == 0 ? $"{name}-start" : $"{name}-stop", BaseId = baseId, TraceId = $"op{i / 2}", ParentId = baseId,
            Timestamp = TraceTimestamp.FromDateTime(at.AddMilliseconds(i)).ToString(),
            Info = new JsonObject { ["host"] = "h1", ["filler"] = filler }, Project = "p", Service = "s",
        }).ToList();
    }

    /// <summary>Three traces: one failed (etype), one whose info only mentions "filetype", one whose start point has an etype.</summary>
    public static IReadOnlyList<TracePoint> ErrorListingPoints()
    {
        var at = new DateTime(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        TracePoint P(string baseId, string name, int ms, JsonObject info) => new()
        {
            Name = name, BaseId = baseId, TraceId = baseId + "-op", ParentId = baseId,
            Timestamp = TraceTimestamp.FromDateTime(at.AddMilliseconds(ms)).ToString(), Info = info,
        };
        return
        [
            P("failed", "rpc-start", 0, new JsonObject { ["host"] = "h" }),
            P("failed", "rpc-stop", 1, new JsonObject { ["host"] = "h", ["etype"] = "ValueError", ["message"] = "boom" }),
            P("filetype", "upload-start", 2, new JsonObject { ["host"] = "h" }),
            P("filetype", "upload-stop", 3, new JsonObject { ["host"] = "h", ["filetype"] = "qcow2", ["note"] = "no etype here" }),
            P("start-only", "db-start", 4, new JsonObject { ["host"] = "h", ["etype"] = "odd" }),
            P("start-only", "db-stop", 5, new JsonObject { ["host"] = "h" }),
        ];
    }

    /// <summary>Asserts a message holds a part, showing the whole message when it does not.</summary>
    public static void AssertMessage(Exception e, string part) =>
        Assert.True(e.Message.Contains(part, StringComparison.Ordinal), $"expected \"{part}\" in:\n{e.Message}");

    public static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..(prefix.Length + 8)];
}
