using System.CommandLine;
using System.Text.Json;
using Profiler.Application.Traces.ListTraces;
using Profiler.Storage;

namespace Profiler.Cli.Commands;

internal static class TraceListCommand
{
    public static Command Create(CommonOptions common)
    {
        var errors = new Option<bool>("--error-trace") { Description = "Only traces holding a failed operation" };
        var limit = new Option<int>("--limit", "-n") { Description = "Most traces to list", DefaultValueFactory = _ => 1000 };
        var cursor = new Option<string?>("--cursor") { Description = "Continue after the page that printed this cursor" };
        var json = new Option<bool>("--json") { Description = "Print JSON: {\"traces\": [{base_id, timestamp}…], \"next_cursor\": …}" };
        var command = new Command("list", "List traces, newest first (base_id and timestamp of the earliest point)")
        {
            errors, limit, cursor, json,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            await using var context = common.Context(result);
            var page = await context.Mediator.Send(
                new ListTracesQuery(result.GetValue(limit), result.GetValue(cursor), ErrorsOnly: result.GetValue(errors)), ct);
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

    // OSProfiler prints a prettytable of base_id and timestamp.
    private static void WriteTable(IReadOnlyList<TraceSummary> traces)
    {
        var idWidth = Math.Max("base_id".Length, traces.Count == 0 ? 0 : traces.Max(t => t.BaseId.Length));
        var tsWidth = Math.Max("timestamp".Length, traces.Count == 0 ? 0 : traces.Max(t => t.Timestamp.Length));
        var rule = $"+{new string('-', idWidth + 2)}+{new string('-', tsWidth + 2)}+";
        var spaces = new string(' ', Math.Max(idWidth, tsWidth));
        using var output = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16);
        void Row(string id, string timestamp)
        {
            output.Write("| ");
            output.Write(id);
            output.Write(spaces.AsSpan(0, idWidth - id.Length));
            output.Write(" | ");
            output.Write(timestamp);
            output.Write(spaces.AsSpan(0, tsWidth - timestamp.Length));
            output.Write(" |\n");
        }
        output.Write(rule + "\n");
        Row("base_id", "timestamp");
        output.Write(rule + "\n");
        foreach (var t in traces) Row(t.BaseId, t.Timestamp);
        output.Write(rule + "\n");
    }

    private static void WriteJson(TracePage page)
    {
        using var stdout = Console.OpenStandardOutput();
        using var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteStartArray("traces");
        foreach (var t in page.Traces)
        {
            writer.WriteStartObject();
            writer.WriteString("base_id", t.BaseId);
            writer.WriteString("timestamp", t.Timestamp);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        if (page.NextCursor is null) writer.WriteNull("next_cursor");
        else writer.WriteString("next_cursor", page.NextCursor);
        writer.WriteEndObject();
        writer.Flush();
        stdout.Write("\n"u8);
    }
}
