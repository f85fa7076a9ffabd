using System.CommandLine;
using Profiler.Storage;

namespace Profiler.Cli.Commands.Bench;

/// <summary>
/// <c>profiler bench ingest|list|report|overhead|otlp|search|startup|cluster</c>: measures a store through the same use cases the applications use,
/// like redis-benchmark measures a server. Data goes under base ids <c>bench-&lt;run&gt;-&lt;n&gt;</c>; <c>--cleanup</c>
/// deletes it afterwards where the store supports deleting (<see cref="ITraceStoreCleanup"/>, through the
/// DeleteTraces use case). Each sub-command is an <see cref="IBench"/>; options, cleanup and the printed figures are shared.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(CommonOptions common)
    {
        var options = new BenchOptions();
        IBench[] benches = [new IngestBench(), new ListBench(), new ReportBench(), new OverheadBench(), new OtlpBench(), new SearchBench()];
        var command = new Command("bench", "Measure a store: ingest rate (OSProfiler points and OTLP), listing, search and report latency, trace scope overhead; and the start-up of short commands; ingest on a local Redis Cluster beside one server");
        foreach (var bench in benches) command.Subcommands.Add(Sub(common, options, bench));
        command.Subcommands.Add(StartupBench.Create(common));
        command.Subcommands.Add(ClusterBench.Create(common, options));
        return command;
    }

    private static Command Sub(CommonOptions common, BenchOptions options, IBench bench)
    {
        var command = new Command(bench.Name, bench.Description);
        // A bench with its own --traces default (search: 100,000) gets its own option of that name.
        var traces = bench.DefaultTraces is { } d
            ? new Option<int>("--traces") { Description = options.Traces.Description, DefaultValueFactory = _ => d }
            : options.Traces;
        foreach (var option in options.Shared) command.Options.Add(option == options.Traces ? traces : option);
        if (bench.HasWarmup) command.Options.Add(options.Warmup);
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            var settings = options.Read(result, bench.HasWarmup) with { Traces = result.GetValue(traces) };
            settings.Check();
            await using var context = common.Context(result);
            var prefix = "bench-" + BenchPoints.RunId();
            var figures = await bench.RunAsync(context, settings, prefix, ct);
            var cleaned = result.GetValue(options.Cleanup) ? await BenchCleanup.RunAsync(context, figures.BaseIds, ct) : null;
            BenchPrinter.Print(bench.Name, context.ShownConnectionString, prefix, figures, cleaned, settings.Json);
            return ExitCodes.Ok;
        }));
        return command;
    }
}

/// <summary>One bench sub-command: what it is called and what it measures.</summary>
internal interface IBench
{
    /// <summary>The sub-command's name (<c>profiler bench &lt;Name&gt;</c>).</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Its <c>--traces</c> default, when not the shared one (100).</summary>
    int? DefaultTraces => null;

    /// <summary>Whether it takes <c>--warmup</c> (untimed points written first).</summary>
    bool HasWarmup => false;

    /// <summary>Seeds what it needs under base ids starting with <paramref name="prefix"/>, then measures.</summary>
    Task<BenchFigures> RunAsync(CliContext context, BenchSettings settings, string prefix, CancellationToken ct);
}
