using System.Diagnostics;
using System.Text.Json.Nodes;
using Profiler.Application.Traces.DeleteTraces;
using Profiler.Storage;

namespace Profiler.Cli.Commands.Bench;

/// <summary><c>--cleanup</c>: deletes the run's traces through the DeleteTraces use case.</summary>
internal static class BenchCleanup
{
    /// <summary>
    /// Deletes <paramref name="baseIds"/>; <c>supported: false</c> (and a note on stderr) when the store cannot delete
    /// (its driver predates <see cref="ITraceStoreCleanup"/>).
    /// </summary>
    public static async Task<JsonObject> RunAsync(CliContext context, IReadOnlyList<string> baseIds, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var result = await context.Mediator.Send(new DeleteTracesCommand(baseIds), ct);
        if (!result.Supported)
        {
            Console.Error.WriteLine($"profiler: --cleanup: the driver of {context.ShownConnectionString} cannot delete traces " +
                                    $"(it does not implement {nameof(ITraceStoreCleanup)}); the bench's traces were left in place");
            return new JsonObject { ["supported"] = false, ["deleted_traces"] = 0 };
        }
        return new JsonObject { ["supported"] = true, ["deleted_traces"] = result.DeletedTraces, ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 3) };
    }
}
