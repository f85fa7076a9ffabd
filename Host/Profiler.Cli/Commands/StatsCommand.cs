using System.CommandLine;
using System.Text.Json;
using Profiler.Application.Stores.GetStoreStatistics;
using Profiler.Storage;

namespace Profiler.Cli.Commands;

/// <summary><c>profiler stats [--json]</c>: what the store holds.</summary>
internal static class StatsCommand
{
    public static Command Create(CommonOptions common)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON: {\"traces\", \"points\", \"oldest\", \"newest\", \"bytes\", \"pinned\"}" };
        var command = new Command("stats", "What the store holds: traces, points, oldest and newest timestamp, bytes where the backend can tell, pinned traces")
        {
            json,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            await using var context = common.Context(result);
            var stats = await context.Mediator.Send(new GetStoreStatisticsQuery(), ct);
            if (result.GetValue(json)) WriteJson(stats);
            else
            {
                Console.WriteLine($"traces: {stats.Traces}");
                Console.WriteLine($"points: {stats.Points}");
                Console.WriteLine($"oldest: {stats.Oldest ?? "-"}");
                Console.WriteLine($"newest: {stats.Newest ?? "-"}");
                Console.WriteLine($"bytes:  {(stats.Bytes is { } b ? b.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown")}");
                Console.WriteLine($"pinned: {stats.Pinned}");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The JSON form, shared with <c>GET /api/v1/stats</c>'s field names.</summary>
    private static void WriteJson(TraceStoreStatistics stats)
    {
        using var stdout = StandardOutput.Open();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("traces", stats.Traces);
            writer.WriteNumber("points", stats.Points);
            if (stats.Oldest is null) writer.WriteNull("oldest"); else writer.WriteString("oldest", stats.Oldest);
            if (stats.Newest is null) writer.WriteNull("newest"); else writer.WriteString("newest", stats.Newest);
            if (stats.Bytes is { } bytes) writer.WriteNumber("bytes", bytes); else writer.WriteNull("bytes");
            writer.WriteNumber("pinned", stats.Pinned);
            writer.WriteEndObject();
        }
        stdout.Write("\n"u8);
    }
}
