using System.Text.Json.Nodes;
using Profiler.Application.Ports;
using Profiler.Domain;
using Profiler.Domain.Reports;

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

    /// <summary>Asserts a message holds a part, showing the whole message when it does not.</summary>
    public static void AssertMessage(Exception e, string part) =>
        Assert.True(e.Message.Contains(part, StringComparison.Ordinal), $"expected \"{part}\" in:\n{e.Message}");

    public static string Unique(string prefix) => $"{prefix}{Guid.NewGuid():N}"[..(prefix.Length + 8)];
}
