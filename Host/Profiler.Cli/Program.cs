using System.CommandLine;
using Profiler.Cli;
using Profiler.Cli.Commands;
using Profiler.Cli.Commands.Bench;

// A command line that cannot ask for help, the version or a directive is parsed first under a plain root command:
// RootCommand's own --help and --version options load System.CommandLine's localized resources when they are made
// (the first ResourceManager lookup of the process: ~5 ms of a short command's start-up), and a command that parses
// cleanly never shows them. Anything else — a help or version token, a directive, a response file, or a parse error —
// is parsed again under the full RootCommand, so help, errors and their exit codes are exactly the usual ones.
if (!CommandTree.MayNeedRootOptions(args) && Build(help: false) is var plain && plain.Parse(args) is { Errors.Count: 0 } parsed)
    return await parsed.InvokeAsync();
return await Build(help: true).Parse(args).InvokeAsync();

Command Build(bool help)
{
    var common = new CommonOptions();

    // Only the branch of the command tree that the arguments name is built (CommandTree.Pick): a short command starts
    // without constructing the options of every other command. Help, a typo or options before the command build it all.
    Command Trace()
    {
        var trace = new Command("trace", "Show, analyze, compare, list, import, delete, pin and prune traces");
        foreach (var command in CommandTree.Pick(args, ["trace"],
                     ["show", "list", "import", "headers", "delete", "pin", "unpin", "prune", "analyze", "diff"],
                     name => name switch
                     {
                         "show" => TraceShowCommand.Create(common),
                         "list" => TraceListCommand.Create(common),
                         "import" => TraceImportCommand.Create(common),
                         "headers" => TraceHeadersCommand.Create(),
                         "delete" => TraceDeleteCommand.Create(common),
                         "pin" => TracePinCommand.Create(common, pin: true),
                         "unpin" => TracePinCommand.Create(common, pin: false),
                         "prune" => TracePruneCommand.Create(common),
                         "analyze" => TraceAnalyzeCommand.Create(common),
                         "diff" => TraceDiffCommand.Create(common),
                         _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a trace command"),
                     }))
            trace.Subcommands.Add(command);
        return trace;
    }

    const string description = "profiler: a cross-service profiler and trace collector, compatible with OpenStack OSProfiler";
    var root = help ? new RootCommand(description) : new Command(RootCommand.ExecutableName, description);
    foreach (var command in CommandTree.Pick(args, [], ["trace", "stats", "drivers", "demo", "bench", "serve", "reindex"], name => name switch
             {
                 "trace" => Trace(),
                 "stats" => StatsCommand.Create(common),
                 "drivers" => DriversCommand.Create(common),
                 "demo" => DemoCommand.Create(common),
                 "bench" => BenchCommand.Create(common),
                 "serve" => ServeCommand.Create(common),
                 "reindex" => ReindexCommand.Create(common),
                 _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a command"),
             }))
        root.Subcommands.Add(command);
    root.Options.Add(common.ConnectionString);
    root.Options.Add(common.Plugins);
    root.Options.Add(common.Verbosity);
    return root;
}
