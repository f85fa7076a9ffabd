using System.CommandLine;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Domain.Reports;
using Profiler.Hosting.Rendering;

namespace Profiler.Cli.Commands;

internal static class TraceShowCommand
{
    public static Command Create(CommonOptions common)
    {
        var trace = new Argument<string>("trace") { Description = "A trace's base id, or a report JSON file written by --json (ours or OSProfiler's)" };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON (OSProfiler's format; the default)" };
        var html = new Option<bool>("--html") { Description = "Write one self-contained HTML page" };
        var dot = new Option<bool>("--dot") { Description = "Write a Graphviz digraph" };
        var otlp = new Option<bool>("--otlp") { Description = "Print the trace's points as OTLP/JSON spans (one TracesData, as the OpenTelemetry Collector's file exporter writes a line)" };
        var output = new Option<string?>("--out", "-o") { Description = "Write to this file instead of standard output" };
        var command = new Command("show", "Show one trace's report: a tree of timed operations and per-operation stats")
        {
            trace, json, html, dot, otlp, output,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            var formats = new[] { result.GetValue(json), result.GetValue(html), result.GetValue(dot), result.GetValue(otlp) }.Count(f => f);
            if (formats > 1) throw new CliException("choose one of --json, --html, --dot and --otlp");
            var id = result.GetValue(trace)!;
            if (result.GetValue(otlp)) return await ShowOtlpAsync(common, result, id, result.GetValue(output), ct);
            TraceReport report;
            if (File.Exists(id) && id.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                await using var file = File.OpenRead(id);
                try
                {
                    report = ReportJson.Read(file);
                }
                catch (FormatException e)
                {
                    throw new CliException($"{id}: {e.Message}");
                }
            }
            else
            {
                await using var context = common.Context(result);
                report = await context.Mediator.Send(new GetTraceReportQuery(id), ct)
                         ?? throw new CliException($"Trace '{Show(id)}' not found in {context.ShownConnectionString}", ExitCodes.NotFound);
            }
            var name = Path.GetFileNameWithoutExtension(id);
            var outPath = result.GetValue(output);
            await using var stream = outPath is null ? StandardOutput.Open() : File.Create(outPath);
            if (result.GetValue(html))
            {
                await using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
                HtmlReportRenderer.Render(report, name, writer);
            }
            else if (result.GetValue(dot))
            {
                await using var writer = new StreamWriter(stream, new System.Text.UTF8Encoding(false));
                DotReportRenderer.Render(report, name, writer);
            }
            else
            {
                ReportJson.Write(stream, report);
                await stream.WriteAsync("\n"u8.ToArray(), ct);
            }
            if (report.SkippedPoints > 0)
                Console.Error.WriteLine($"profiler: {report.SkippedPoints} stored point(s) could not be read and were left out of the report");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The trace's stored points as one OTLP/JSON <c>TracesData</c> line (docs/otlp.md).</summary>
    private static async Task<int> ShowOtlpAsync(CommonOptions common, ParseResult result, string id, string? outPath, CancellationToken ct)
    {
        await using var context = common.Context(result);
        var store = context.Store;
        var points = new List<Profiler.Domain.TracePoint>();
        var skipped = 0;
        await foreach (var stored in store.ReadTraceAsync(id, ct))
        {
            if (!stored.IsReadable)
            {
                skipped++;
                continue;
            }
            points.Add(ToPoint(id, stored));
        }
        if (points.Count == 0 && skipped == 0)
            throw new CliException($"Trace '{Show(id)}' not found in {context.ShownConnectionString}", ExitCodes.NotFound);
        var text = Profiler.Otlp.OtlpJson.Format(Profiler.Otlp.OtlpMapping.ToTracesData(points)) + "\n";
        if (outPath is null)
        {
            await using var stdout = StandardOutput.Open();
            await stdout.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text), ct);
        }
        else await File.WriteAllTextAsync(outPath, text, new System.Text.UTF8Encoding(false), ct);
        if (skipped > 0)
            Console.Error.WriteLine($"profiler: {skipped} stored point(s) could not be read and were left out");
        return ExitCodes.Ok;
    }

    /// <summary>A stored point as the point it was: its own fields, and the <c>info</c> of its stored document.</summary>
    private static Profiler.Domain.TracePoint ToPoint(string baseId, Profiler.Domain.StoredPoint stored)
    {
        System.Text.Json.Nodes.JsonObject? info = null;
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(stored.RawPayloadUtf8.Span) is System.Text.Json.Nodes.JsonObject doc
                && doc["info"] is System.Text.Json.Nodes.JsonObject i)
                info = (System.Text.Json.Nodes.JsonObject)i.DeepClone();
        }
        catch (System.Text.Json.JsonException)
        {
            // A document the store could read its fields from but that is not JSON: keep the fields.
        }
        info ??= [];
        if (stored.Host is not null && !info.ContainsKey("host")) info["host"] = stored.Host;
        return new Profiler.Domain.TracePoint
        {
            Name = stored.Name, BaseId = baseId, TraceId = stored.TraceId, ParentId = stored.ParentId,
            Timestamp = stored.Timestamp.ToString(), Info = info, Project = stored.Project, Service = stored.Service,
        };
    }

    internal static string Show(string value) => Profiler.Storage.TracePointRules.Show(value);
}
