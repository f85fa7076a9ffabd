using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Application.Traces.RecordTracePoints;
using Profiler.Domain;
using Profiler.Domain.Reports;

namespace Profiler.Cli.Commands;

/// <summary>
/// Records a real trace of real work (a request that hashes data, reads files and runs nested steps, one of which
/// fails) into the configured store, then reads the report back and prints it as a tree.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(CommonOptions common)
    {
        var command = new Command("demo", "Record a real multi-operation trace into the store and show its report");
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            await using var context = common.Context(result);
            var recorder = new Recorder(Guid.NewGuid().ToString());
            using (recorder.Trace("wsgi", new JsonObject { ["request"] = new JsonObject
                   { ["path"] = "/demo", ["query"] = "", ["method"] = "GET", ["scheme"] = "cli" } }))
            {
                using (recorder.Trace("auth", null)) SHA256.HashData(new byte[1 << 20]);
                for (var i = 0; i < 3; i++)
                    using (recorder.Trace("db", new JsonObject { ["db"] = new JsonObject { ["statement"] = "SELECT * FROM items WHERE id = ?", ["params"] = new JsonArray(i) } }))
                        await Task.Delay(2 + i, ct);
                using (recorder.Trace("rpc", new JsonObject { ["function"] = new JsonObject { ["name"] = "compute.render" } }))
                {
                    using (recorder.Trace("render-page", null)) SHA512.HashData(new byte[4 << 20]);
                    try
                    {
                        using var failing = recorder.Trace("cache", null);
                        failing.Fail(new TimeoutException("cache did not answer"));
                        throw new TimeoutException("cache did not answer");
                    }
                    catch (TimeoutException) { }
                }
            }
            await context.Mediator.Send(new RecordTracePointsCommand(recorder.Points), ct);
            var report = await context.Mediator.Send(new GetTraceReportQuery(recorder.BaseId), ct)
                         ?? throw new CliException("the demo trace was not found after writing it", ExitCodes.Store);
            Console.WriteLine($"Recorded trace {recorder.BaseId} ({recorder.Points.Count} points) into {context.ShownConnectionString}");
            Console.WriteLine();
            PrintTree(report);
            Console.WriteLine();
            Console.WriteLine($"Full report: profiler trace show {recorder.BaseId} --json   (or --html --out trace.html, --dot)");
            return ExitCodes.Ok;
        }));
        return command;
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

    /// <summary>A minimal in-process recorder for the demo: nested scopes producing start/stop points.</summary>
    private sealed class Recorder(string baseId)
    {
        private readonly Stack<string> _open = new();
        public string BaseId { get; } = baseId;
        public List<TracePoint> Points { get; } = [];

        public Scope Trace(string name, JsonObject? info)
        {
            var traceId = Guid.NewGuid().ToString();
            var parent = _open.Count > 0 ? _open.Peek() : BaseId;
            info ??= [];
            info["host"] = Environment.MachineName;
            Points.Add(Point(name + "-start", traceId, parent, info));
            _open.Push(traceId);
            return new Scope(this, name, traceId, parent);
        }

        private TracePoint Point(string name, string traceId, string parent, JsonObject info) => new()
        {
            Name = name, BaseId = BaseId, TraceId = traceId, ParentId = parent,
            Timestamp = TraceTimestamp.UtcNow.ToString(), Info = info, Project = "profiler", Service = "demo",
        };

        public sealed class Scope(Recorder recorder, string name, string traceId, string parent) : IDisposable
        {
            private Exception? _error;
            public void Fail(Exception e) => _error = e;

            public void Dispose()
            {
                recorder._open.Pop();
                var info = new JsonObject { ["host"] = Environment.MachineName };
                if (_error is not null)
                {
                    info["etype"] = _error.GetType().Name;
                    info["message"] = _error.Message;
                }
                recorder.Points.Add(recorder.Point(name + "-stop", traceId, parent, info));
            }
        }
    }
}
