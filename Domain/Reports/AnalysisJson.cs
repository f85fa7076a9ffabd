using System.Text.Json;

namespace Profiler.Domain.Reports;

/// <summary>
/// The JSON of <c>profiler trace analyze --json</c> / <c>GET /api/v1/traces/{id}/analysis</c> and of
/// <c>profiler trace diff --json</c> / <c>GET /api/v1/diff</c> (docs/analysis.md). Times are whole milliseconds.
/// </summary>
public static class AnalysisJson
{
    /// <summary>
    /// Writes <c>{"base_id", "duration_ms", "operations", "critical_path": [trace_id…], "self_ms": {name: ms},
    /// "stats": {name: {"count", "total_ms", "self_ms"}}, "repeated_statements": [{"statement", "count", "parent",
    /// "parent_name", "total_ms"}], "slowest": [{"trace_id", "name", "self_ms", "total_ms"}]}</c>.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, TraceAnalysis analysis, string baseId)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(analysis);
        writer.WriteStartObject();
        writer.WriteString("base_id", baseId);
        writer.WriteNumber("duration_ms", analysis.DurationMs);
        writer.WriteNumber("operations", analysis.Operations.Count);
        writer.WriteStartArray("critical_path");
        foreach (var op in analysis.CriticalPath) writer.WriteStringValue(op.TraceId);
        writer.WriteEndArray();
        writer.WriteStartObject("self_ms");
        foreach (var (name, t) in analysis.ByName) writer.WriteNumber(name, t.SelfMs);
        writer.WriteEndObject();
        writer.WriteStartObject("stats");
        foreach (var (name, t) in analysis.ByName)
        {
            writer.WriteStartObject(name);
            writer.WriteNumber("count", t.Count);
            writer.WriteNumber("total_ms", t.TotalMs);
            writer.WriteNumber("self_ms", t.SelfMs);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        writer.WriteStartArray("repeated_statements");
        foreach (var r in analysis.RepeatedStatements)
        {
            writer.WriteStartObject();
            writer.WriteString("statement", r.Statement);
            writer.WriteNumber("count", r.Count);
            writer.WriteString("parent", r.ParentId);
            if (r.Parent is null) writer.WriteNull("parent_name");
            else writer.WriteString("parent_name", r.Parent.Name);
            writer.WriteNumber("total_ms", r.TotalMs);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteStartArray("slowest");
        foreach (var op in analysis.Slowest) WriteOperation(writer, op);
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>
    /// Writes <c>{"a": {"base_id", "duration_ms", "operations"}, "b": {…}, "by_name": {name: {"count_a", "count_b",
    /// "total_ms_a", "total_ms_b", "self_ms_a", "self_ms_b"}}, "added": [name…], "removed": [name…],
    /// "critical_path": {"a": [trace_id…], "b": [trace_id…]}, "critical_path_a": [{"trace_id", "name", "self_ms",
    /// "total_ms"}…], "critical_path_b": […]}</c>: <c>added</c> names occur only in b, <c>removed</c> only in a.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, TraceDiff diff, string baseIdA, string baseIdB)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(diff);
        writer.WriteStartObject();
        WriteSummary(writer, "a", diff.A, baseIdA);
        WriteSummary(writer, "b", diff.B, baseIdB);
        writer.WriteStartObject("by_name");
        foreach (var (name, d) in diff.ByName)
        {
            writer.WriteStartObject(name);
            writer.WriteNumber("count_a", d.CountA);
            writer.WriteNumber("count_b", d.CountB);
            writer.WriteNumber("total_ms_a", d.TotalMsA);
            writer.WriteNumber("total_ms_b", d.TotalMsB);
            writer.WriteNumber("self_ms_a", d.SelfMsA);
            writer.WriteNumber("self_ms_b", d.SelfMsB);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        WriteNames(writer, "added", diff.Added);
        WriteNames(writer, "removed", diff.Removed);
        writer.WriteStartObject("critical_path");
        WriteNames(writer, "a", diff.A.CriticalPath.Select(o => o.TraceId));
        WriteNames(writer, "b", diff.B.CriticalPath.Select(o => o.TraceId));
        writer.WriteEndObject();
        writer.WriteStartArray("critical_path_a");
        foreach (var op in diff.A.CriticalPath) WriteOperation(writer, op);
        writer.WriteEndArray();
        writer.WriteStartArray("critical_path_b");
        foreach (var op in diff.B.CriticalPath) WriteOperation(writer, op);
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    private static void WriteSummary(Utf8JsonWriter writer, string key, TraceAnalysis analysis, string baseId)
    {
        writer.WriteStartObject(key);
        writer.WriteString("base_id", baseId);
        writer.WriteNumber("duration_ms", analysis.DurationMs);
        writer.WriteNumber("operations", analysis.Operations.Count);
        writer.WriteEndObject();
    }

    private static void WriteNames(Utf8JsonWriter writer, string key, IEnumerable<string> names)
    {
        writer.WriteStartArray(key);
        foreach (var n in names) writer.WriteStringValue(n);
        writer.WriteEndArray();
    }

    private static void WriteOperation(Utf8JsonWriter writer, AnalyzedOperation op)
    {
        writer.WriteStartObject();
        writer.WriteString("trace_id", op.TraceId);
        writer.WriteString("name", op.Name);
        writer.WriteNumber("self_ms", op.SelfMs);
        writer.WriteNumber("total_ms", op.TotalMs);
        writer.WriteEndObject();
    }
}
