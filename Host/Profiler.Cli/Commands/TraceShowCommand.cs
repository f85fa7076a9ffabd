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
        var output = new Option<string?>("--out", "-o") { Description = "Write to this file instead of standard output" };
        var command = new Command("show", "Show one trace's report: a tree of timed operations and per-operation stats")
        {
            trace, json, html, dot, output,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            var formats = new[] { result.GetValue(json), result.GetValue(html), result.GetValue(dot) }.Count(f => f);
            if (formats > 1) throw new CliException("choose one of --json, --html and --dot");
            var id = result.GetValue(trace)!;
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
            await using var stream = outPath is null ? Console.OpenStandardOutput() : File.Create(outPath);
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

    internal static string Show(string value) => Profiler.Storage.TracePointRules.Show(value);
}
