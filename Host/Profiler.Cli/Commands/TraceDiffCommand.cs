using System.CommandLine;
using System.Text.Json;
using Profiler.Application.Traces.DiffTraces;
using Profiler.Domain.Reports;

namespace Profiler.Cli.Commands;

/// <summary><c>profiler trace diff &lt;a&gt; &lt;b&gt; [--json]</c>: two traces compared per operation name (docs/analysis.md).</summary>
internal static class TraceDiffCommand
{
    public static Command Create(CommonOptions common)
    {
        var a = new Argument<string>("a") { Description = "The baseline: a trace's base id, or a report JSON file" };
        var b = new Argument<string>("b") { Description = "The trace compared with it: a base id, or a report JSON file" };
        var json = new Option<bool>("--json")
        {
            Description = "Print JSON: {a, b, by_name: {name: {count_a, count_b, total_ms_a, total_ms_b, self_ms_a, self_ms_b}}, " +
                          "added, removed, critical_path: {a: [trace_id…], b: […]}, critical_path_a, critical_path_b}",
        };
        var command = new Command("diff", "Compare two traces: count, total and self time per operation name, names in only one, both critical paths")
        {
            a, b, json,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            var idA = result.GetValue(a)!;
            var idB = result.GetValue(b)!;
            var diff = await LoadAsync(common, result, idA, idB, ct);
            var nameA = TraceAnalyzeCommand.DisplayId(idA);
            var nameB = TraceAnalyzeCommand.DisplayId(idB);
            using var stdout = StandardOutput.Open();
            if (result.GetValue(json))
            {
                using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
                    AnalysisJson.Write(writer, diff, nameA, nameB);
                stdout.Write("\n"u8);
            }
            else
            {
                using var output = new StreamWriter(stdout, new System.Text.UTF8Encoding(false), 1 << 16);
                WriteText(output, diff, nameA, nameB);
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<TraceDiff> LoadAsync(CommonOptions common, ParseResult result, string idA, string idB, CancellationToken ct)
    {
        static bool IsFile(string id) => File.Exists(id) && id.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
        if (IsFile(idA) || IsFile(idB))
            return TraceDiff.Compare(await TraceAnalyzeCommand.LoadAsync(common, result, idA, ct),
                await TraceAnalyzeCommand.LoadAsync(common, result, idB, ct));
        await using var context = common.Context(result);
        var found = await context.Mediator.Send(new DiffTracesQuery(idA, idB), ct);
        if (found.Diff is null)
            throw new CliException(string.Join("; ", found.Missing.Select(id =>
                $"Trace '{TraceShowCommand.Show(id)}' not found in {context.ShownConnectionString}")), ExitCodes.NotFound);
        return found.Diff;
    }

    private static void WriteText(TextWriter output, TraceDiff diff, string nameA, string nameB)
    {
        output.WriteLine($"a: {nameA}  {TraceAnalyzeCommand.Ms(diff.A.DurationMs)}, {diff.A.Operations.Count} operations");
        output.WriteLine($"b: {nameB}  {TraceAnalyzeCommand.Ms(diff.B.DurationMs)}, {diff.B.Operations.Count} operations  " +
                         $"({Signed(diff.B.DurationMs - diff.A.DurationMs)} ms)");
        output.WriteLine();
        var width = Math.Max(9, diff.ByName.Count == 0 ? 0 : diff.ByName.Max(p => p.Key.Length));
        output.WriteLine($"  {"operation".PadRight(width)}  {"count a",7} {"count b",7}  {"total a",8} {"total b",8} {"Δ total",8}  {"self a",8} {"self b",8} {"Δ self",8}");
        foreach (var (name, d) in diff.ByName.OrderByDescending(p => Math.Abs(p.Value.SelfMsB - p.Value.SelfMsA)).ThenBy(p => p.Key, StringComparer.Ordinal))
        {
            var mark = d.CountA == 0 ? " (added)" : d.CountB == 0 ? " (removed)" : "";
            output.WriteLine($"  {name.PadRight(width)}  {d.CountA,7} {d.CountB,7}  {d.TotalMsA,8} {d.TotalMsB,8} {Signed(d.TotalMsB - d.TotalMsA),8}  " +
                             $"{d.SelfMsA,8} {d.SelfMsB,8} {Signed(d.SelfMsB - d.SelfMsA),8}{mark}");
        }
        output.WriteLine("  (times in ms)");
        output.WriteLine();
        output.WriteLine("Only in b (added): " + (diff.Added.Count == 0 ? "none" : string.Join(", ", diff.Added)));
        output.WriteLine("Only in a (removed): " + (diff.Removed.Count == 0 ? "none" : string.Join(", ", diff.Removed)));
        output.WriteLine();
        output.WriteLine("Critical paths side by side:");
        var left = diff.A.CriticalPath.Select(o => $"{new string(' ', 2 * Math.Min(o.Depth, 20))}{o.Name} ({o.TotalMs} ms, self {o.SelfMs})").ToList();
        var right = diff.B.CriticalPath.Select(o => $"{new string(' ', 2 * Math.Min(o.Depth, 20))}{o.Name} ({o.TotalMs} ms, self {o.SelfMs})").ToList();
        var leftWidth = Math.Max(1, left.Count == 0 ? 1 : left.Max(l => l.Length));
        output.WriteLine($"  {"a".PadRight(leftWidth)}  | b");
        for (var i = 0; i < Math.Max(left.Count, right.Count); i++)
            output.WriteLine($"  {(i < left.Count ? left[i] : "").PadRight(leftWidth)}  | {(i < right.Count ? right[i] : "")}");
    }

    private static string Signed(long value) => value > 0 ? "+" + value : value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
