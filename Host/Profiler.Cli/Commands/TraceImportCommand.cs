using System.CommandLine;
using System.Text;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Cli.Commands;

internal static class TraceImportCommand
{
    /// <summary>Most problems listed before giving up on a file.</summary>
    private const int MaxReported = 20;

    public static Command Create(CommonOptions common)
    {
        var file = new Argument<string>("points") { Description = "A JSON Lines file, one trace point (COMPAT §1) or one OTLP/JSON TracesData a line (told apart line by line); - for standard input" };
        var command = new Command("import", "Store trace points from a JSON Lines file. Every line is checked first: a file with a bad line stores nothing")
        {
            file,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            var path = result.GetValue(file)!;
            var (points, problems) = await ReadAsync(path, ct);
            if (problems.Count > 0)
            {
                foreach (var p in problems.Take(MaxReported)) Console.Error.WriteLine($"profiler: {p}");
                var more = problems.Count > MaxReported ? $" (showing the first {MaxReported})" : "";
                throw new CliException($"{path}: {problems.Count} bad line(s){more}; nothing was imported");
            }
            if (points.Count == 0) throw new CliException($"{path}: no trace points in the file; nothing was imported");

            await using var context = common.Context(result);
            foreach (var chunk in points.Chunk(RecordTracePointsCommand.MaxBatchSize))
                await context.Mediator.Send(new RecordTracePointsCommand(chunk), ct);
            var traces = points.Select(p => p.BaseId).Distinct().Count();
            Console.WriteLine($"Imported {points.Count} points of {traces} trace(s) into {context.ShownConnectionString}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<(List<TracePoint> Points, List<string> Problems)> ReadAsync(string path, CancellationToken ct)
    {
        var points = new List<TracePoint>();
        var problems = new List<string>();
        using var reader = path == "-"
            ? new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false, throwOnInvalidBytes: true))
            : new StreamReader(OpenFile(path), new UTF8Encoding(false, throwOnInvalidBytes: true));
        var number = 0;
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(ct);
            }
            catch (DecoderFallbackException)
            {
                problems.Add($"{path}:{number + 1}: not valid UTF-8 text");
                break;
            }
            if (line is null) break;
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (ReadOtlp(line, $"{path}:{number}", points, problems)) continue;
            TracePoint point;
            try
            {
                point = TracePointJson.Parse(line);
            }
            catch (FormatException e)
            {
                problems.Add($"{path}:{number}: {e.Message}");
                continue;
            }
            var lineNumber = number;
            TracePointRules.Check(point, (_, message) => problems.Add($"{path}:{lineNumber}: {message}"));
            points.Add(point);
        }
        return (points, problems);
    }

    /// <summary>
    /// When a line is an OTLP/JSON <c>TracesData</c> (an object with <c>resourceSpans</c> or <c>resource_spans</c>), its
    /// spans as points (docs/otlp.md), a malformed line or a span that cannot be stored being a problem, and true; false
    /// for any other line (read as a trace point). The line is parsed once for both.
    /// </summary>
    private static bool ReadOtlp(string line, string where, List<TracePoint> points, List<string> problems)
    {
        try
        {
            if (Profiler.Otlp.OtlpJson.ParseTracesDataLine(line) is not { } data) return false;
            var mapped = Profiler.Otlp.OtlpMapping.ToPoints(data.ResourceSpans, TracePointRules.FirstProblem);
            foreach (var r in mapped.Rejected) problems.Add($"{where}: span {r.Index} '{TracePointRules.Show(r.Name)}' ({r.SpanId}): {r.Message}");
            points.AddRange(mapped.Points);
        }
        catch (FormatException e)
        {
            problems.Add($"{where}: {e.Message}");
        }
        return true;
    }

    private static FileStream OpenFile(string path)
    {
        if (Directory.Exists(path)) throw new CliException($"{path} is a folder; give a JSON Lines file");
        if (!File.Exists(path)) throw new CliException($"{path}: no such file");
        return File.OpenRead(path);
    }
}
