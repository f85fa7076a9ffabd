using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Domain.Reports;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// Both directions against the real OSProfiler (Debian's python3-osprofiler with python3-redis) sharing one
/// redis-server: its notifier writes, Profiler reads; Profiler writes, <c>osprofiler trace show/list</c> read.
/// Operation names carry no extra '-' (OSProfiler cuts a name at its first '-'; Profiler keeps it).
/// </summary>
public sealed class OsProfilerInteropTests(RedisServer server, ITestOutputHelper output) : IClassFixture<RedisServer>, IAsyncLifetime
{
    /// <summary>
    /// Writes one trace through OSProfiler's own profiler and Redis notifier: arguments connection string, base id and,
    /// optionally, <c>no-errors</c> to turn error filtering (<c>filter_error_trace</c>, on by default) off.
    /// </summary>
    internal const string WriterScript = """
        import sys, time
        from oslo_config import cfg
        from osprofiler import notifier, opts, profiler

        connection, base_id = sys.argv[1], sys.argv[2]
        errors = len(sys.argv) < 4 or sys.argv[3] != "no-errors"
        conf = cfg.ConfigOpts()
        opts.set_defaults(conf, enabled=True, connection_string=connection)
        conf([])
        conf.set_override("filter_error_trace", errors, group="profiler")
        notifier.set(notifier.create(connection, project="nova", service="api", host="node-1", conf=conf))
        profiler.init("SECRET_KEY", base_id=base_id)

        with profiler.Trace("wsgi", info={"request": {"path": "/v2/servers", "method": "POST"}}):
            time.sleep(0.002)
            with profiler.Trace("db", info={"db": {"statement": "SELECT 1", "params": {}}}):
                time.sleep(0.003)
                with profiler.Trace("cache", info={"key": "flavor"}):
                    time.sleep(0.001)
            try:
                with profiler.Trace("rpc", info={"function": {"name": "compute.boot"}}):
                    time.sleep(0.002)
                    raise ValueError("no valid host")
            except ValueError:
                pass
        """;

    private readonly TempDirectory _dir = new("profiler-interop-");

    public Task InitializeAsync() => server.FlushAsync();

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    private string Url => $"redis://127.0.0.1:{server.Port}";

    /// <summary>The Python that runs the <c>osprofiler</c> command: its own shebang's interpreter.</summary>
    internal static string Python()
    {
        var cli = ServerProcess.Require("osprofiler", "python3-osprofiler");
        var shebang = File.ReadLines(cli).FirstOrDefault() ?? "";
        var interpreter = shebang.StartsWith("#!", StringComparison.Ordinal) ? shebang[2..].Trim().Split(' ')[0] : "";
        return File.Exists(interpreter) ? interpreter : ServerProcess.Require("python3", "python3-osprofiler");
    }

    internal static string OsProfiler(params string[] arguments) =>
        ServerProcess.Run(ServerProcess.Require("osprofiler", "python3-osprofiler"), arguments, timeout: TimeSpan.FromMinutes(1));

    private JsonNode OsProfilerReport(string baseId) => OsProfilerReport(_dir.Path, Url, baseId);

    /// <summary>
    /// <c>osprofiler trace show &lt;id&gt; --json</c> against <paramref name="url"/>, written to a file in
    /// <paramref name="dir"/> so warnings on stderr stay out of it.
    /// </summary>
    internal static JsonNode OsProfilerReport(string dir, string url, string baseId)
    {
        var file = Path.Combine(dir, $"{baseId}.json");
        OsProfiler("trace", "show", baseId, "--connection-string", url, "--json", "--out", file);
        return JsonNode.Parse(File.ReadAllText(file))!;
    }

    /// <summary>The report Profiler builds from the points <paramref name="store"/> reads back (at least one).</summary>
    internal static async Task<TraceReport> ProfilerReportAsync(ITraceStore store, string baseId)
    {
        var builder = new ReportBuilder();
        await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None)) builder.Add(p);
        Assert.True(builder.Count > 0, $"Profiler found no points of {baseId}");
        return builder.Build();
    }

    [Fact]
    public async Task A_trace_OSProfiler_wrote_reads_into_the_report_osprofiler_trace_show_prints()
    {
        var baseId = Guid.NewGuid().ToString();
        var script = Path.Combine(_dir.Path, "write_trace.py");
        await File.WriteAllTextAsync(script, WriterScript);
        ServerProcess.Run(Python(), [script, Url, baseId], timeout: TimeSpan.FromMinutes(1));

        await using var store = server.Open();
        var ours = await ProfilerReportAsync(store, baseId);
        var theirs = OsProfilerReport(baseId);

        ReportAssert.Equivalent(theirs, JsonNode.Parse(ReportJson.ToJson(ours))!);
        Assert.Equal(8, ours.PointCount);
        var rpc = ours.Children.Single().Children.Single(c => c.Name == "rpc");
        Assert.Equal("ValueError", rpc.Exception);
        // OSProfiler's error index (filter_error_trace) lists the trace as failed here too.
        var errors = await store.ListTracesAsync(new TraceListQuery(10, Fields: ["name", "project", "service"], ErrorsOnly: true), CancellationToken.None);
        var listed = Assert.Single(errors.Traces);
        Assert.Equal((baseId, "wsgi-start", "nova", "api"),
            (listed.BaseId, listed.Fields["name"], listed.Fields["project"], listed.Fields["service"]));
        var all = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);
        Assert.Equal(baseId, Assert.Single(all.Traces).BaseId);
    }

    [Fact]
    public async Task Traces_Profiler_wrote_read_back_through_osprofiler_trace_show_as_Profilers_own_report()
    {
        await using var store = server.Open();
        foreach (var shape in Fixtures.All().Where(f => f.Backend == "redis").Select(f => f.Shape))
        {
            var fixture = FixtureTrace.Load(shape, "redis");
            await store.WriteAsync(fixture.Points, CancellationToken.None);

            var ours = ReportJson.ToJson(await ProfilerReportAsync(store, fixture.BaseId));
            var theirs = OsProfilerReport(fixture.BaseId);

            output.WriteLine($"{shape}: osprofiler trace show agrees");
            ReportAssert.Equivalent(theirs, JsonNode.Parse(ours)!);
        }
    }

    [Fact]
    public async Task Osprofiler_trace_list_shows_the_traces_Profiler_wrote_and_its_error_traces()
    {
        var ok = Guid.NewGuid().ToString();
        var failed = Guid.NewGuid().ToString();
        var at = new DateTime(2026, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        await using var store = server.Open(new DriverSettings { FilterErrorTrace = true, Project = "glance", Service = "api" });
        await store.WriteAsync(Trace(ok, at, error: false), CancellationToken.None);
        await store.WriteAsync(Trace(failed, at.AddSeconds(1), error: true), CancellationToken.None);

        var list = OsProfiler("trace", "list", "--connection-string", Url);
        // OSProfiler 3.4's --error-trace takes a value (its argparse declaration lacks store_true).
        var errors = OsProfiler("trace", "list", "--connection-string", Url, "--error-trace", "yes");
        output.WriteLine(list);
        output.WriteLine(errors);

        Assert.Contains(ok, list);
        Assert.Contains(failed, list);
        // OSProfiler lists each trace with the timestamp of its list's second element (LINDEX 1), here the start point.
        Assert.Contains("2026-05-06T07:08:09.000000", list);
        Assert.Contains(failed, errors);
        Assert.DoesNotContain(ok, errors);
        Assert.Contains("2026-05-06T07:08:10.004000", errors);
    }

    private static IReadOnlyList<TracePoint> Trace(string baseId, DateTime at, bool error)
    {
        var op = Guid.NewGuid().ToString();
        var stopInfo = new JsonObject { ["host"] = "node-2" };
        if (error)
        {
            stopInfo["etype"] = "IOError";
            stopInfo["message"] = "disk full";
        }
        return
        [
            new() { Name = "upload-start", BaseId = baseId, TraceId = op, ParentId = baseId,
                    Timestamp = TraceTimestamp.FromDateTime(at).ToString(), Info = new JsonObject { ["host"] = "node-2" } },
            new() { Name = "upload-stop", BaseId = baseId, TraceId = op, ParentId = baseId,
                    Timestamp = TraceTimestamp.FromDateTime(at.AddMilliseconds(4)).ToString(), Info = stopInfo },
        ];
    }
}
