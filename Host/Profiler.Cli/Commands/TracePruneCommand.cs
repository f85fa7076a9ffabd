using System.CommandLine;
using System.Text.Json;
using Profiler.Application.Traces.PruneTraces;
using Profiler.Domain;

namespace Profiler.Cli.Commands;

/// <summary><c>profiler trace prune --older-than &lt;duration&gt; [--dry-run] [--json]</c>.</summary>
internal static class TracePruneCommand
{
    public static Command Create(CommonOptions common)
    {
        var olderThan = new Option<string>("--older-than")
        {
            Description = $"Delete whole traces whose newest point is older than this: {RetentionPeriod.Expected}",
            Required = true,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only count what would be removed" };
        var json = new Option<bool>("--json") { Description = "Print JSON: {\"traces\", \"points\", \"cutoff\", \"dry_run\"}" };
        var command = new Command("prune",
            "Delete whole traces whose newest point is older than --older-than (traces OSProfiler wrote included); pinned traces are kept")
        {
            olderThan, dryRun, json,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            var period = RetentionPeriod.Parse("--older-than", result.GetValue(olderThan));
            await using var context = common.Context(result);
            var pruned = await context.Mediator.Send(new PruneTracesCommand(period, result.GetValue(dryRun)), ct);
            var cutoff = TraceTimestamp.FromDateTime(pruned.Cutoff).ToString();
            if (result.GetValue(json))
            {
                using var stdout = StandardOutput.Open();
                using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("traces", pruned.Traces);
                    writer.WriteNumber("points", pruned.Points);
                    writer.WriteString("cutoff", cutoff);
                    writer.WriteBoolean("dry_run", pruned.DryRun);
                    writer.WriteEndObject();
                }
                stdout.Write("\n"u8);
            }
            else
                Console.WriteLine(pruned.DryRun
                    ? $"would remove {pruned.Traces} trace(s), {pruned.Points} point(s) older than {cutoff} (dry run: nothing removed)"
                    : $"removed {pruned.Traces} trace(s), {pruned.Points} point(s) older than {cutoff}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
