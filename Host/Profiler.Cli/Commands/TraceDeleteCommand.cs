using System.CommandLine;
using Profiler.Application.Traces.DeleteTraces;

namespace Profiler.Cli.Commands;

/// <summary><c>profiler trace delete &lt;base-id&gt;…</c>: deletes whole traces; exit 1 naming ids the store held nothing of.</summary>
internal static class TraceDeleteCommand
{
    public static Command Create(CommonOptions common)
    {
        var ids = new Argument<string[]>("base-id") { Description = "The traces to delete", Arity = ArgumentArity.OneOrMore };
        var command = new Command("delete", "Delete whole traces (every point, index entry and pin); ids not found are named and the others still deleted")
        {
            ids,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            await using var context = common.Context(result);
            var deleted = await context.Mediator.Send(new DeleteTracesCommand(result.GetValue(ids)!, ReportMissing: true), ct);
            if (!deleted.Supported)
                throw new CliException($"the {CliErrors.DriverName} driver does not support deleting traces (its store does not implement ITraceStoreCleanup)",
                    ExitCodes.Store);
            Console.WriteLine($"deleted {deleted.DeletedTraces} trace(s)");
            if (deleted.Missing.Count == 0) return ExitCodes.Ok;
            throw new CliException(
                $"trace(s) not found in {context.ShownConnectionString}: {string.Join(", ", deleted.Missing.Select(id => $"'{TraceShowCommand.Show(id)}'"))}",
                ExitCodes.NotFound);
        }));
        return command;
    }
}
