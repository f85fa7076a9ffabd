using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Domain.Reports;
using Profiler.Instrumentation;

namespace Profiler.Cli.Commands;

/// <summary>
/// Records a real trace of real work (a request that hashes data, waits on "queries" and runs nested steps, one of
/// which fails) through the profiling API into the configured store, then reads the report back and prints it.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(CommonOptions common)
    {
        var command = new Command("demo", "Record a real multi-operation trace into the store and show its report");
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            await using var context = common.Context(result);
            // The real instrumentation: scopes on the caller's thread, a buffered notifier storing through RecordTracePoints.
            var notifier = new TraceNotifier(context.Mediator, new TraceNotifierOptions { Project = "profiler", Service = "demo" });
            var profiler = new TraceProfiler(hmacKey: null, notifier);
            profiler.MakeCurrent();
            try
            {
                await RequestAsync(profiler, ct);
            }
            finally
            {
                TraceProfiler.Clean();
            }
            if (!await notifier.FlushAsync(TimeSpan.FromSeconds(30), ct))
                throw new CliException($"the demo trace could not be stored in {context.ShownConnectionString} " +
                                       $"({notifier.FailedAttempts} failed attempts)", ExitCodes.Store);
            await notifier.DisposeAsync();
            var report = await context.Mediator.Send(new GetTraceReportQuery(profiler.BaseId), ct)
                         ?? throw new CliException("the demo trace was not found after writing it", ExitCodes.Store);
            Console.WriteLine($"Recorded trace {profiler.BaseId} ({notifier.SentCount} points) into {context.ShownConnectionString}");
            Console.WriteLine();
            PrintTree(report);
            Console.WriteLine();
            Console.WriteLine($"Full report: profiler trace show {profiler.BaseId} --json   (or --html --out trace.html, --dot)");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>A request that authenticates, queries, renders, and fails on its cache: real work, timed by real scopes.</summary>
    private static async Task RequestAsync(TraceProfiler profiler, CancellationToken ct)
    {
        var request = new JsonObject { ["request"] = new JsonObject { ["path"] = "/demo", ["query"] = "", ["method"] = "GET", ["scheme"] = "cli" } };
        using var wsgi = profiler.Trace("wsgi", request);
        profiler.Run("auth", null, () => SHA256.HashData(new byte[1 << 20]));
        for (var i = 0; i < 3; i++)
        {
            var statement = new JsonObject { ["db"] = new JsonObject { ["statement"] = "SELECT * FROM items WHERE id = ?", ["params"] = new JsonArray(i) } };
            var delay = 2 + i;
            await profiler.RunAsync("db", statement, () => Task.Delay(delay, ct));
        }
        using var rpc = profiler.Trace("rpc", new JsonObject { ["function"] = new JsonObject { ["name"] = "compute.render" } });
        profiler.Run("render-page", null, () => SHA512.HashData(new byte[4 << 20]));
        try
        {
            profiler.Run("cache", null, () => throw new TimeoutException("cache did not answer"));
        }
        catch (TimeoutException)
        {
            // Recorded on the cache-stop point; the request goes on without its cache.
        }
    }

    private static void PrintTree(TraceReport report)
    {
        Console.WriteLine($"total {report.Finished} ms");
        var stack = new Stack<(ReportNode Node, int Depth)>();
        foreach (var n in report.Children.Reverse()) stack.Push((n, 1));
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            var failed = node.Exception is not null and not "None" ? $"  ✖ {node.Exception}" : "";
            Console.WriteLine($"{new string(' ', depth * 2)}{node.Name,-14} {node.Started,5}–{node.Finished,-5} ms ({node.Duration} ms){failed}");
            foreach (var c in node.Children.AsEnumerable().Reverse()) stack.Push((c, depth + 1));
        }
        Console.WriteLine();
        Console.WriteLine("operation       count  total ms");
        foreach (var (name, stats) in report.Stats)
            Console.WriteLine($"{name,-15} {stats.Count,5}  {stats.Duration,8}");
    }
}
