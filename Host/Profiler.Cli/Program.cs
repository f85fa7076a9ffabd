using System.CommandLine;
using Profiler.Cli;
using Profiler.Cli.Commands;
using Profiler.Cli.Commands.Bench;

var common = new CommonOptions();
// Only the branch of the command tree that the arguments name is built (CommandTree.Pick): a short command starts
// without constructing the options of every other command. Help, a typo or options before the command build it all.
Command Trace()
{
    var trace = new Command("trace", "Show, analyze, compare, list, import, delete, pin and prune traces");
    foreach (var command in CommandTree.Pick(args, ["trace"],
             [
                 ("show", () => TraceShowCommand.Create(common)),
                 ("list", () => TraceListCommand.Create(common)),
                 ("import", () => TraceImportCommand.Create(common)),
                 ("headers", TraceHeadersCommand.Create),
                 ("delete", () => TraceDeleteCommand.Create(common)),
                 ("pin", () => TracePinCommand.Create(common, pin: true)),
                 ("unpin", () => TracePinCommand.Create(common, pin: false)),
                 ("prune", () => TracePruneCommand.Create(common)),
                 ("analyze", () => TraceAnalyzeCommand.Create(common)),
                 ("diff", () => TraceDiffCommand.Create(common)),
             ]))
        trace.Subcommands.Add(command);
    return trace;
}

var root = new RootCommand("profiler: a cross-service profiler and trace collector, compatible with OpenStack OSProfiler");
foreach (var command in CommandTree.Pick(args, [],
         [
             ("trace", Trace),
             ("stats", () => StatsCommand.Create(common)),
             ("drivers", () => DriversCommand.Create(common)),
             ("demo", () => DemoCommand.Create(common)),
             ("bench", () => BenchCommand.Create(common)),
             ("serve", () => ServeCommand.Create(common)),
             ("reindex", () => ReindexCommand.Create(common)),
         ]))
    root.Subcommands.Add(command);
root.Options.Add(common.ConnectionString);
root.Options.Add(common.Plugins);
root.Options.Add(common.Verbosity);
return await root.Parse(args).InvokeAsync();
