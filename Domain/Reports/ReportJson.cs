using System.Runtime.InteropServices;
using System.Text.Json;

namespace Profiler.Domain.Reports;

/// <summary>
/// The report as OSProfiler's <c>trace show --json</c> prints it (docs/osprofiler-formats.md §4), keys sorted as OSProfiler sorts them.
/// Written without recursion, so a trace of any depth renders.
/// </summary>
public static class ReportJson
{
    /// <summary>Writes the report.</summary>
    public static void Write(Stream output, TraceReport report, bool indented = true)
    {
        using var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = indented, SkipValidation = true, MaxDepth = int.MaxValue });
        Write(writer, report);
    }

    /// <summary>The report as a JSON string.</summary>
    public static string ToJson(TraceReport report, bool indented = true)
    {
        using var stream = new MemoryStream();
        Write(stream, report, indented);
        return System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Writes the report to a writer (left open).</summary>
    public static void Write(Utf8JsonWriter writer, TraceReport report)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("children");
        WriteChildren(writer, report.Children);
        writer.WriteStartObject("info");
        WriteNullable(writer, "finished", report.Finished);
        WriteNullable(writer, "last_trace_started", report.LastTraceStarted);
        writer.WriteString("name", "total");
        if (report.SkippedPoints > 0) writer.WriteNumber("skipped_points", report.SkippedPoints);
        writer.WriteNumber("started", 0);
        writer.WriteEndObject();
        writer.WriteStartObject("stats");
        foreach (var (name, stats) in report.Stats.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            writer.WriteStartObject(name);
            writer.WriteNumber("count", stats.Count);
            writer.WriteNumber("duration", stats.Duration);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>Bytes a writer may hold before they go to its stream: a large report is streamed, never held whole.</summary>
    private const int FlushThreshold = 1 << 16;

    private static void WriteChildren(Utf8JsonWriter writer, IReadOnlyList<ReportNode> top)
    {
        // Each frame: a list of nodes and the index of the next one to open.
        var stack = new Stack<(IReadOnlyList<ReportNode> Nodes, int Next)>();
        writer.WriteStartArray();
        stack.Push((top, 0));
        while (stack.Count > 0)
        {
            var (nodes, next) = stack.Pop();
            if (next > 0)
            {
                // The children of nodes[next - 1] just ended: finish that node.
                WriteNodeTail(writer, nodes[next - 1]);
                if (writer.BytesPending > FlushThreshold) writer.Flush();
            }
            if (next == nodes.Count)
            {
                writer.WriteEndArray();
                continue;
            }
            var node = nodes[next];
            stack.Push((nodes, next + 1));
            writer.WriteStartObject();
            writer.WritePropertyName("children");
            writer.WriteStartArray();
            stack.Push((node.Children, 0));
        }
    }

    private static void WriteNodeTail(Utf8JsonWriter writer, ReportNode node)
    {
        writer.WriteStartObject("info");
        if (node.Exception is not null) writer.WriteString("exception", node.Exception);
        writer.WriteNumber("finished", node.Finished);
        WriteNullable(writer, "host", node.Host);
        var payloads = node.RawPayloads;
        if (payloads.Count == 1) WritePayload(writer, payloads[0]);
        else if (payloads.Count == 2)
        {
            // The usual start/stop pair, sorted without allocating.
            var swap = string.CompareOrdinal(payloads[0].Key, payloads[1].Key) > 0;
            WritePayload(writer, payloads[swap ? 1 : 0]);
            WritePayload(writer, payloads[swap ? 0 : 1]);
        }
        else
            foreach (var payload in payloads.OrderBy(p => p.Key, StringComparer.Ordinal))
                WritePayload(writer, payload);
        writer.WriteString("name", node.Name);
        WriteNullable(writer, "project", node.Project);
        WriteNullable(writer, "service", node.Service);
        writer.WriteNumber("started", node.Started);
        writer.WriteEndObject();
        writer.WriteString("parent_id", node.ParentId);
        writer.WriteString("trace_id", node.TraceId);
        writer.WriteEndObject();
    }

    private static void WritePayload(Utf8JsonWriter writer, KeyValuePair<string, ReadOnlyMemory<byte>> payload)
    {
        // "meta.raw_payload." + name, without a string per node.
        Span<char> buffer = stackalloc char[256];
        var prefix = "meta.raw_payload.".AsSpan();
        if (prefix.Length + payload.Key.Length <= buffer.Length)
        {
            prefix.CopyTo(buffer);
            payload.Key.AsSpan().CopyTo(buffer[prefix.Length..]);
            writer.WritePropertyName(buffer[..(prefix.Length + payload.Key.Length)]);
        }
        else writer.WritePropertyName("meta.raw_payload." + payload.Key);
        writer.WriteRawValue(payload.Value.Span, skipInputValidation: true);
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is null) writer.WriteNull(name);
        else writer.WriteNumber(name, value.Value);
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null) writer.WriteNull(name);
        else writer.WriteString(name, value);
    }

    /// <summary>
    /// Reads a report written by this project or by OSProfiler's <c>trace show --json</c>.
    /// Throws <see cref="FormatException"/> saying what is wrong.
    /// </summary>
    public static TraceReport Read(Stream input)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(input, new JsonDocumentOptions { MaxDepth = 100_000 });
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a JSON report ({e.Message.Split(" Path:")[0]})", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("info", out var info)
                || !root.TryGetProperty("children", out var children) || children.ValueKind != JsonValueKind.Array)
                throw new FormatException("not a trace report: expected an object with 'info' and 'children'");
            var stats = new List<KeyValuePair<string, OperationStats>>();
            if (root.TryGetProperty("stats", out var s) && s.ValueKind == JsonValueKind.Object)
                foreach (var p in s.EnumerateObject())
                    stats.Add(KeyValuePair.Create(p.Name, new OperationStats(
                        p.Value.TryGetProperty("count", out var c) && c.TryGetInt32(out var ci) ? ci : 0,
                        p.Value.TryGetProperty("duration", out var d) && d.TryGetInt64(out var dl) ? dl : 0)));
            return new TraceReport
            {
                Finished = Long(info, "finished"),
                LastTraceStarted = Long(info, "last_trace_started"),
                SkippedPoints = (int)(Long(info, "skipped_points") ?? 0),
                Children = ReadNodes(children),
                Stats = stats,
            };
        }
    }

    private static List<ReportNode> ReadNodes(JsonElement top)
    {
        var result = new List<ReportNode>();
        var work = new Stack<(JsonElement Array, List<ReportNode> Into)>();
        work.Push((top, result));
        while (work.Count > 0)
        {
            var (array, into) = work.Pop();
            foreach (var e in array.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("info", out var info) || info.ValueKind != JsonValueKind.Object)
                    throw new FormatException("not a trace report: a node lacks its 'info' object");
                var payloads = new List<KeyValuePair<string, ReadOnlyMemory<byte>>>();
                foreach (var p in info.EnumerateObject())
                    if (p.Name.StartsWith("meta.raw_payload.", StringComparison.Ordinal))
                        payloads.Add(KeyValuePair.Create(p.Name["meta.raw_payload.".Length..],
                            (ReadOnlyMemory<byte>)JsonMarshal.GetRawUtf8Value(p.Value).ToArray()));
                var node = new ReportNode
                {
                    TraceId = Str(e, "trace_id") ?? "",
                    ParentId = Str(e, "parent_id") ?? "",
                    Name = Str(info, "name") ?? "",
                    Project = Str(info, "project"),
                    Service = Str(info, "service"),
                    Host = Str(info, "host"),
                    Started = Long(info, "started") ?? 0,
                    Finished = Long(info, "finished") ?? 0,
                    Exception = Str(info, "exception"),
                    RawPayloads = payloads,
                };
                into.Add(node);
                if (e.TryGetProperty("children", out var kids) && kids.ValueKind == JsonValueKind.Array)
                    work.Push((kids, node.Children));
            }
        }
        return result;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Long(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : null;
}
