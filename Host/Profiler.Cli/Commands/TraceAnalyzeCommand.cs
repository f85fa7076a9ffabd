using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Profiler.Application.Traces.AnalyzeTrace;
using Profiler.Domain.Reports;

namespace Profiler.Cli.Commands;

/// <summary><c>profiler trace analyze &lt;base-id&gt; [--json]</c>: why a trace was slow (docs/analysis.md).</summary>
internal static class TraceAnalyzeCommand
{
    public static Command Create(CommonOptions common)
    {
        var trace = new Argument<string>("trace") { Description = "A trace's base id, or a report JSON file written by trace show --json (ours or OSProfiler's)" };
        var json = new Option<bool>("--json")
        {
            Description = "Print JSON: {base_id, duration_ms, operations, critical_path: [trace_id…], self_ms: {name: ms}, stats, " +
                          "repeated_statements: [{statement, count, parent, total_ms}…], slowest: [{trace_id, name, self_ms, total_ms}…]}",
        };
        var command = new Command("analyze", "Explain a trace: its critical path, self time per operation, statements repeated " +
                                             $"{TraceAnalysis.RepeatThreshold}+ times under one parent (N+1) and the slowest operations")
        {
            trace, json,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            var id = result.GetValue(trace)!;
            var analysis = await LoadAsync(common, result, id, ct);
            var name = DisplayId(id);
            using var stdout = StandardOutput.Open();
            if (result.GetValue(json))
            {
                using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
                    AnalysisJson.Write(writer, analysis, name);
                stdout.Write("\n"u8);
            }
            else
            {
                using var output = new StreamWriter(stdout, new System.Text.UTF8Encoding(false), 1 << 16);
                WriteText(output, analysis, name);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The analysis of a stored trace or of a report JSON file; a trace not found is exit code 1 naming it.</summary>
    internal static async Task<TraceAnalysis> LoadAsync(CommonOptions common, ParseResult result, string id, CancellationToken ct)
    {
        if (File.Exists(id) && id.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            await using var file = File.OpenRead(id);
            try
            {
                return TraceAnalysis.Analyze(ReportJson.Read(file));
            }
            catch (FormatException e)
            {
                throw new CliException($"{id}: {e.Message}");
            }
        }
        await using var context = common.Context(result);
        return await context.Mediator.Send(new AnalyzeTraceQuery(id), ct)
               ?? throw new CliException($"Trace '{TraceShowCommand.Show(id)}' not found in {context.ShownConnectionString}", ExitCodes.NotFound);
    }

    /// <summary>A base id as given, or a report file's name without its extension.</summary>
    internal static string DisplayId(string id) =>
        File.Exists(id) && id.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? Path.GetFileNameWithoutExtension(id) : id;

    internal static string Ms(long ms) => ms.ToString(CultureInfo.InvariantCulture) + " ms";

    private static void WriteText(TextWriter output, TraceAnalysis analysis, string baseId)
    {
        output.WriteLine($"Trace {baseId}: {Ms(analysis.DurationMs)}, {analysis.Operations.Count} operation{(analysis.Operations.Count == 1 ? "" : "s")}");
        output.WriteLine();
        output.WriteLine($"Critical path ({analysis.CriticalPath.Count} operation{(analysis.CriticalPath.Count == 1 ? "" : "s")}, what the trace's end waited for):");
        WriteOperations(output, analysis.CriticalPath, indent: true);
        output.WriteLine();
        output.WriteLine("Time per operation name (total = inclusive, as OSProfiler's stats; self = not covered by children):");
        var nameWidth = Math.Max(9, analysis.ByName.Count == 0 ? 0 : analysis.ByName.Max(p => p.Key.Length));
        output.WriteLine($"  {"operation".PadRight(nameWidth)}  {"count",7}  {"total ms",10}  {"self ms",10}");
        foreach (var (name, t) in analysis.ByName.OrderByDescending(p => p.Value.SelfMs).ThenBy(p => p.Key, StringComparer.Ordinal))
            output.WriteLine($"  {name.PadRight(nameWidth)}  {t.Count,7}  {t.TotalMs,10}  {t.SelfMs,10}");
        output.WriteLine();
        if (analysis.RepeatedStatements.Count == 0)
            output.WriteLine($"Repeated statements: none run {TraceAnalysis.RepeatThreshold} or more times under one parent.");
        else
        {
            output.WriteLine($"Repeated statements ({TraceAnalysis.RepeatThreshold}+ times under one parent: a likely N+1):");
            foreach (var r in analysis.RepeatedStatements)
                output.WriteLine($"  {r.Count}× under {r.Parent?.Name ?? "(top level)"} {r.ParentId}, {Ms(r.TotalMs)} in all: {r.Statement}");
        }
        output.WriteLine();
        output.WriteLine("Slowest operations by self time:");
        WriteOperations(output, analysis.Slowest, indent: false);
    }

    private static void WriteOperations(TextWriter output, IReadOnlyList<AnalyzedOperation> operations, bool indent)
    {
        if (operations.Count == 0)
        {
            output.WriteLine("  (none)");
            return;
        }
        var minDepth = operations.Min(o => o.Depth);
        var labels = operations.Select(o => (indent ? new string(' ', 2 * Math.Min(o.Depth - minDepth, 30)) : "") + o.Name).ToList();
        var width = labels.Max(l => l.Length);
        for (var i = 0; i < operations.Count; i++)
        {
            var o = operations[i];
            output.WriteLine($"  {labels[i].PadRight(width)}  {$"{o.Start}–{o.End} ms",-14}  total {o.TotalMs,6} ms  self {o.SelfMs,6} ms  {o.TraceId}");
        }
    }
}
