using System.CommandLine;
using Profiler.Application.Traces.ReindexTraces;

namespace Profiler.Cli.Commands;

/// <summary>
/// <c>profiler reindex</c>: rebuilds every trace's search summary from its points (docs/search.md) — for traces
/// OSProfiler wrote, or a store written before search existed. Searches summarise new OSProfiler traces by themselves;
/// this makes it complete at once, and repairs a summary of a trace both wrote.
/// </summary>
internal static class ReindexCommand
{
    public static Command Create(CommonOptions common)
    {
        var command = new Command("reindex", "Rebuild the search summary of every trace from its points (traces OSProfiler wrote included)");
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            await using var context = common.Context(result);
            var traces = await context.Mediator.Send(new ReindexTracesCommand(), ct);
            Console.WriteLine($"reindexed {traces} traces");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
