using System.CommandLine;
using Profiler.Application.Traces.PinTrace;

namespace Profiler.Cli.Commands;

/// <summary><c>profiler trace pin|unpin &lt;base-id&gt;</c>: a pinned trace survives <c>ttl</c> and prune.</summary>
internal static class TracePinCommand
{
    public static Command Create(CommonOptions common, bool pin)
    {
        var id = new Argument<string>("base-id") { Description = pin ? "The trace to pin" : "The trace to unpin" };
        var command = new Command(pin ? "pin" : "unpin",
            pin ? "Pin a trace: it survives retention (ttl) and prune until unpinned" : "Unpin a trace: retention and prune apply to it again")
        {
            id,
        };
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            await using var context = common.Context(result);
            var baseId = result.GetValue(id)!;
            var answer = await context.Mediator.Send(new PinTraceCommand(baseId, pin), ct);
            if (!answer.Found)
                throw new CliException($"Trace '{TraceShowCommand.Show(baseId)}' not found in {context.ShownConnectionString}", ExitCodes.NotFound);
            Console.WriteLine($"{(pin ? "pinned" : "unpinned")} {baseId}");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
