using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Profiler.Application.Traces.CountTraces;
using Profiler.Application.Traces.ListTraces;
using Profiler.Storage;

namespace Profiler.Cli.Commands;

/// <summary>
/// <c>profiler trace list</c>: a page of traces, newest first, optionally searched (docs/search.md): <c>--service</c>,
/// <c>--project</c>, <c>--host</c>, <c>--name</c>, <c>--min-duration</c>/<c>--max-duration</c> (<c>&lt;n&gt;[ms|s|m]</c>),
/// <c>--since</c>/<c>--until</c> (ISO or a duration ago), combinable with <c>--error-trace</c>, <c>--limit</c>,
/// <c>--cursor</c>; <c>--count</c> prints only how many traces match.
/// </summary>
internal static class TraceListCommand
{
    /// <summary>The columns of the table and the keys of each <c>--json</c> row.</summary>
    internal static readonly string[] Columns = ["base_id", "timestamp", "duration_ms", "root", "services", "operations", "error"];

    public static Command Create(CommonOptions common)
    {
        var errors = new Option<bool>("--error-trace") { Description = "Only traces holding a failed operation" };
        var limit = new Option<int>("--limit", "-n") { Description = "Most traces to list", DefaultValueFactory = _ => 1000 };
        var cursor = new Option<string?>("--cursor") { Description = "Continue after the page that printed this cursor" };
        var json = new Option<bool>("--json")
        {
            Description = "Print JSON: {\"traces\": [{base_id, timestamp, duration_ms, root, services, operations, error}…], \"next_cursor\": …}",
        };
        var service = new Option<string?>("--service") { Description = "Only traces with a point of this service" };
        var project = new Option<string?>("--project") { Description = "Only traces with a point of this project" };
        var host = new Option<string?>("--host") { Description = "Only traces with a point on this host" };
        var name = new Option<string?>("--name") { Description = "Only traces with an operation of this name (points <name>-start/-stop)" };
        var minDuration = new Option<string?>("--min-duration") { Description = "Only traces lasting at least D (earliest point to latest): <n>[ms|s|m], e.g. 500ms" };
        var maxDuration = new Option<string?>("--max-duration") { Description = "Only traces lasting at most D: <n>[ms|s|m]" };
        var since = new Option<string?>("--since") { Description = "Only traces starting at or after T: an ISO timestamp (UTC) or a duration ago, e.g. 2h" };
        var until = new Option<string?>("--until") { Description = "Only traces starting at or before T: an ISO timestamp (UTC) or a duration ago" };
        var count = new Option<bool>("--count") { Description = "Print only the number of matching traces" };
        var command = new Command("list", "List traces, newest first, with their duration, root operation, services, operations and status; search with the filters")
        {
            errors, limit, cursor, json, service, project, host, name, minDuration, maxDuration, since, until, count,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            await using var context = common.Context(result);
            var search = new TraceSearchTerms(result.GetValue(service), result.GetValue(project), result.GetValue(host),
                result.GetValue(name), result.GetValue(minDuration), result.GetValue(maxDuration), result.GetValue(since),
                result.GetValue(until));
            if (result.GetValue(count))
            {
                var total = await context.Mediator.Send(new CountTracesQuery(search, result.GetValue(errors)), ct);
                Console.WriteLine(total.ToString(CultureInfo.InvariantCulture));
                return ExitCodes.Ok;
            }
            var page = await context.Mediator.Send(
                new ListTracesQuery(result.GetValue(limit), result.GetValue(cursor), ErrorsOnly: result.GetValue(errors)) { Search = search }, ct);
            if (result.GetValue(json)) WriteJson(page);
            else
            {
                WriteTable(page.Traces);
                if (page.NextCursor is not null)
                    Console.Error.WriteLine($"profiler: more traces: --cursor '{page.NextCursor}' (or a larger --limit)");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>A row's cells, in <see cref="Columns"/> order; unknown summary values (a store without search) are empty.</summary>
    internal static string[] Cells(TraceSummary t) =>
    [
        t.BaseId,
        t.Timestamp,
        t.DurationMs is { } d ? d.ToString("0.###", CultureInfo.InvariantCulture) : "",
        t.Root ?? "",
        string.Join(",", t.Services),
        t.Operations is { } o ? o.ToString(CultureInfo.InvariantCulture) : "",
        t.Error is { } e ? (e ? "error" : "ok") : "",
    ];

    // A prettytable as OSProfiler prints, with the summary columns after base_id and timestamp. Plain loops: LINQ over
    // these value types and string's repeated-character constructor are compiled at run time (not precompiled), which
    // cost a short command's start-up more than the table takes to write. Each row is laid out in one line buffer and
    // written with one call (a listing of 20,000 traces wrote each cell, separator and padding space on its own: some
    // 700,000 calls, the larger part of its rendering time).
    private static void WriteTable(IReadOnlyList<TraceSummary> traces)
    {
        var rows = new List<string[]>(traces.Count);
        foreach (var t in traces) rows.Add(Cells(t));
        var widths = new int[Columns.Length];
        var lineLength = 2;
        for (var i = 0; i < Columns.Length; i++)
        {
            widths[i] = Columns[i].Length;
            foreach (var r in rows) widths[i] = Math.Max(widths[i], r[i].Length);
            lineLength += widths[i] + 3;
        }
        var rule = new System.Text.StringBuilder("+");
        foreach (var w in widths) rule.Append('-', w + 2).Append('+');
        rule.Append('\n');
        var spaces = new System.Text.StringBuilder().Append(' ', lineLength).ToString();
        var line = new char[lineLength];
        using var output = new StreamWriter(StandardOutput.Open(), new System.Text.UTF8Encoding(false), 1 << 16);
        void Row(string[] cells)
        {
            var at = 0;
            for (var i = 0; i < cells.Length; i++)
            {
                Put(i == 0 ? "| " : " | ");
                Put(cells[i]);
                Put(spaces.AsSpan(0, widths[i] - cells[i].Length));
            }
            Put(" |\n");
            output.Write(line, 0, at);

            void Put(ReadOnlySpan<char> text)
            {
                text.CopyTo(line.AsSpan(at));
                at += text.Length;
            }
        }
        output.Write(rule);
        Row(Columns);
        output.Write(rule);
        foreach (var r in rows) Row(r);
        output.Write(rule);
    }

    private static void WriteJson(TracePage page)
    {
        using var stdout = StandardOutput.Open();
        using var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteStartArray("traces");
        foreach (var t in page.Traces) WriteRow(writer, t);
        writer.WriteEndArray();
        if (page.NextCursor is null) writer.WriteNull("next_cursor");
        else writer.WriteString("next_cursor", page.NextCursor);
        writer.WriteEndObject();
        writer.Flush();
        stdout.Write("\n"u8);
    }

    /// <summary>One trace as the CLI's <c>--json</c> and <c>GET /api/v1/traces</c> write it; null where the store keeps no summary.</summary>
    internal static void WriteRow(Utf8JsonWriter writer, TraceSummary t)
    {
        writer.WriteStartObject();
        writer.WriteString("base_id", t.BaseId);
        writer.WriteString("timestamp", t.Timestamp);
        if (t.DurationMs is { } d) writer.WriteNumber("duration_ms", d);
        else writer.WriteNull("duration_ms");
        if (t.Root is null) writer.WriteNull("root");
        else writer.WriteString("root", t.Root);
        writer.WriteStartArray("services");
        foreach (var s in t.Services) writer.WriteStringValue(s);
        writer.WriteEndArray();
        if (t.Operations is { } o) writer.WriteNumber("operations", o);
        else writer.WriteNull("operations");
        if (t.Error is { } e) writer.WriteBoolean("error", e);
        else writer.WriteNull("error");
        writer.WriteEndObject();
    }
}
