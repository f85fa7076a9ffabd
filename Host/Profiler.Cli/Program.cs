using System.CommandLine;
using Profiler.Cli.Commands;
using Profiler.Cli.Commands.Bench;

var common = new CommonOptions();
var trace = new Command("trace", "Show, analyze, compare, list, import, delete, pin and prune traces")
{
    TraceShowCommand.Create(common),
    TraceListCommand.Create(common),
    TraceImportCommand.Create(common),
    TraceHeadersCommand.Create(),
    TraceDeleteCommand.Create(common),
    TracePinCommand.Create(common, pin: true),
    TracePinCommand.Create(common, pin: false),
    TracePruneCommand.Create(common),
    TraceAnalyzeCommand.Create(common),
    TraceDiffCommand.Create(common),
};
var root = new RootCommand("profiler: a cross-service profiler and trace collector, compatible with OpenStack OSProfiler")
{
    trace,
    StatsCommand.Create(common),
    DriversCommand.Create(common),
    DemoCommand.Create(common),
    BenchCommand.Create(common),
    ServeCommand.Create(common),
    ReindexCommand.Create(common),
};
root.Options.Add(common.ConnectionString);
root.Options.Add(common.Plugins);
root.Options.Add(common.Verbosity);
return await root.Parse(args).InvokeAsync();
