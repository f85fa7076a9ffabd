using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MediatR;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Profiler.Application.Traces.GetTraceReport;
using Profiler.Domain.Reports;
using Profiler.Hosting.Tests.Web;
using Profiler.Instrumentation;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Hosting.Tests.EndToEnd;

/// <summary>
/// Issue 5 end to end, across languages: a Python client traced by the real OSProfiler (Debian's python3-osprofiler,
/// its Redis notifier) calls an ASP.NET Core app instrumented with <c>AddProfiler</c>/<c>UseProfiler</c>, both
/// storing into one real redis-server. The app continues the Python trace from the signed headers, so
/// <c>osprofiler trace show</c> and Profiler's own report (the <c>GetTraceReport</c> query <c>profiler trace
/// show</c> runs) show one tree: the Python scope holding the .NET <c>wsgi</c> node and its children.
/// Names carry no '-' (OSProfiler cuts a name at its first '-').
/// </summary>
public sealed class OsProfilerPropagationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Key = "SECRET_KEY";
    private const string PythonExe = "/usr/bin/python3";

    /// <summary>
    /// The Python side: OSProfiler's own initializer (notifier.create → base.get_driver("redis://…") → notifier.set),
    /// profiler.init, a scope around a urllib call carrying <c>web.get_trace_id_headers()</c>, a second scope after it.
    /// </summary>
    private const string ClientScript = """
        import json, sys, time, urllib.request
        from oslo_config import cfg
        from osprofiler import initializer, opts, profiler, web

        connection, url, key = sys.argv[1], sys.argv[2], sys.argv[3]
        conf = cfg.ConfigOpts()
        opts.set_defaults(conf, enabled=True, connection_string=connection, hmac_keys=key)
        conf([])
        initializer.init_from_conf(conf, context={}, project="keystone", service="pyclient", host="pynode")
        profiler.init(key)

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with profiler.Trace("pycall", info={"target": url}):
            time.sleep(0.002)
            headers = web.get_trace_id_headers()
            with opener.open(urllib.request.Request(url, headers=headers), timeout=60) as response:
                status, body = response.status, response.read().decode()
            with profiler.Trace("pyafter", info={"status": status}):
                time.sleep(0.002)
        print("RESULT=" + json.dumps({"base_id": profiler.get().get_base_id(), "status": status, "body": body,
                                       "sent_headers": sorted(headers)}))
        """;

    private readonly TempDirectory _dir = new("profiler-e2e-");
    private RedisProcess _redis = null!;
    private WebApplication _app = null!;
    private string _url = "";

    public async Task InitializeAsync()
    {
        ServerProcess.Require("osprofiler", "python3-osprofiler");
        if (!File.Exists(PythonExe)) throw new InvalidOperationException($"{PythonExe} is missing: apt-get install -y python3-osprofiler python3-redis");
        _redis = new RedisProcess();
        var port = FreePort.Next();
        _url = $"http://127.0.0.1:{port}";
        var builder = WebApplication.CreateBuilder(["--urls", _url]);
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Profiler:Enabled"] = "true",
            ["Profiler:HmacKeys"] = Key,
            ["Profiler:Host"] = "dotnetnode",
            ["Profiler:Project"] = "demo",
            ["Profiler:Service"] = "web",
            ["Profiler:ConnectionString"] = _redis.Url(),
        });
        // The Redis driver as a plugin: the profiler's connection string resolves among the plugins found.
        builder.Services.AddProfiler(builder.Configuration);
        builder.Services.AddTraceStorePlugins([ShellServer.PluginFolder]);
        builder.Services.AddHttpClient("downstream").AddProfilerHandler();
        var app = builder.Build();
        app.UseProfiler();
        app.MapGet("/work", async (IHttpClientFactory factory) =>
        {
            var rows = Tracing.Run("compute", new JsonObject { ["function"] = new JsonObject { ["name"] = "Work.Compute" } }, () =>
                Tracing.Run("dbquery", new JsonObject { ["db"] = new JsonObject { ["statement"] = "SELECT 42" } }, () =>
                {
                    Thread.Sleep(2);
                    return 42;
                }));
            var response = await factory.CreateClient("downstream").GetAsync(_url + "/leaf?rows=" + rows);
            return Results.Text($"rows={rows} leaf={(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        });
        app.MapGet("/leaf", async () =>
        {
            await Tracing.RunAsync("cachelookup", new JsonObject { ["key"] = "flavor" }, () => Task.Delay(2));
            return "cached";
        });
        await app.StartAsync();
        _app = app;
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _redis.Dispose();
        _dir.Dispose();
    }

    private JsonObject RunClient(string key)
    {
        var script = Path.Combine(_dir.Path, "client.py");
        File.WriteAllText(script, ClientScript);
        var text = ServerProcess.Run(PythonExe, [script, _redis.Url(), _url + "/work", key], timeout: TimeSpan.FromMinutes(2));
        var match = Regex.Match(text, "^RESULT=(.*)$", RegexOptions.Multiline);
        Assert.True(match.Success, "the Python client printed no result:\n" + text);
        return JsonNode.Parse(match.Groups[1].Value)!.AsObject();
    }

    private async Task FlushAsync() =>
        Assert.True(await _app.Services.GetRequiredService<TraceNotifier>().FlushAsync(Waiting.Patience), "the notifier did not flush");

    private async Task<JsonNode> ProfilerReportAsync(string baseId)
    {
        var report = await _app.Services.GetRequiredService<IMediator>().Send(new GetTraceReportQuery(baseId));
        Assert.NotNull(report);
        return JsonNode.Parse(ReportJson.ToJson(report))!;
    }

    private JsonNode OsProfilerReport(string baseId)
    {
        var file = Path.Combine(_dir.Path, baseId + ".json");
        ServerProcess.Run(ServerProcess.Require("osprofiler", "python3-osprofiler"),
            ["trace", "show", baseId, "--connection-string", _redis.Url(), "--json", "--out", file], timeout: TimeSpan.FromMinutes(1));
        return JsonNode.Parse(File.ReadAllText(file))!;
    }

    private static JsonObject Child(JsonNode node, string name) =>
        Assert.Single(node["children"]!.AsArray(), c => (string)c!["info"]!["name"]! == name)!.AsObject();

    private static string Name(JsonNode node) => (string)node["info"]!["name"]!;

    [Fact]
    public async Task A_Python_OSProfiler_trace_continues_into_the_dotnet_app_and_both_tools_show_one_tree()
    {
        var result = RunClient(Key);
        var baseId = (string)result["base_id"]!;
        output.WriteLine($"Python client: {result.ToJsonString()}");
        Assert.Equal(200, (int)result["status"]!);
        Assert.Equal("rows=42 leaf=200 cached", (string)result["body"]!);
        Assert.Equal(["X-Trace-HMAC", "X-Trace-Info"], result["sent_headers"]!.AsArray().Select(h => (string)h!));
        await FlushAsync();

        var ours = await ProfilerReportAsync(baseId);
        var theirs = OsProfilerReport(baseId);
        output.WriteLine(ours.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

        ReportAssert.Equivalent(theirs, ours);
        foreach (var report in new[] { ours, theirs })
        {
            // One tree: the Python scope at the top, the .NET request inside it.
            var pycall = Assert.Single(report["children"]!.AsArray())!;
            Assert.Equal("pycall", Name(pycall));
            Assert.Equal(baseId, (string)pycall["parent_id"]!);
            // OSProfiler's own points: project and service from its notifier, info.host from socket.gethostname().
            Assert.Equal(("keystone", "pyclient"), ((string)pycall["info"]!["project"]!, (string)pycall["info"]!["service"]!));
            Assert.Equal(["wsgi", "pyafter"], pycall["children"]!.AsArray().Select(c => Name(c!)));

            var wsgi = Child(pycall, "wsgi");
            Assert.Equal((string)pycall["trace_id"]!, (string)wsgi["parent_id"]!);
            Assert.Equal(("dotnetnode", "demo", "web", "None"),
                ((string)wsgi["info"]!["host"]!, (string)wsgi["info"]!["project"]!, (string)wsgi["info"]!["service"]!,
                 (string)wsgi["info"]!["exception"]!));
            Assert.Equal("/work", (string)wsgi["info"]!["meta.raw_payload.wsgi-start"]!["info"]!["request"]!["path"]!);
            Assert.Equal(["compute", "http_client"], wsgi["children"]!.AsArray().Select(c => Name(c!)));
            Assert.Equal("dbquery", Name(Assert.Single(Child(wsgi, "compute")["children"]!.AsArray())!));
            var downstream = Assert.Single(Child(wsgi, "http_client")["children"]!.AsArray())!;
            Assert.Equal("wsgi", Name(downstream));
            Assert.Equal("/leaf", (string)downstream["info"]!["meta.raw_payload.wsgi-start"]!["info"]!["request"]!["path"]!);
            Assert.Equal("cachelookup", Name(Assert.Single(downstream["children"]!.AsArray())!));

            // Started ≤ child's started all the way down (the clocks agree), and finished ≥ child's finished within a process.
            AssertNested(pycall);
        }
        var stats = ours["stats"]!.AsObject();
        Assert.Equal(["cachelookup", "compute", "dbquery", "http_client", "pyafter", "pycall", "wsgi"], stats.Select(s => s.Key).Order(StringComparer.Ordinal));
        Assert.Equal(2, (int)stats["wsgi"]!["count"]!);
        Assert.Equal(16, CountPoints(ours));
    }

    [Fact]
    public async Task A_request_signed_with_a_wrong_key_is_served_untraced_and_leaves_no_dotnet_points()
    {
        var result = RunClient("WRONG_KEY");
        var baseId = (string)result["base_id"]!;
        Assert.Equal(200, (int)result["status"]!);
        Assert.Equal("rows=42 leaf=200 cached", (string)result["body"]!);
        await FlushAsync();
        var notifier = _app.Services.GetRequiredService<TraceNotifier>();
        Assert.Equal(0, notifier.SentCount + notifier.QueuedCount + notifier.DroppedCount);

        // Only the Python points are stored: 2 scopes, 4 points, all from the Python host.
        var keys = _redis.Cli("--scan", "--pattern", "osprofiler*").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["osprofiler_opt:" + baseId], keys);
        var store = _app.Services.GetRequiredService<ITraceStore>();
        var points = new List<Profiler.Domain.StoredPoint>();
        await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None)) points.Add(p);
        Assert.Equal(["pyafter-start", "pyafter-stop", "pycall-start", "pycall-stop"], points.Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.All(points, p => Assert.Equal("pyclient", p.Service));
        var theirs = OsProfilerReport(baseId);
        Assert.Equal(["pyafter"], Child(theirs, "pycall")["children"]!.AsArray().Select(c => Name(c!)));
    }

    private static int CountPoints(JsonNode report)
    {
        var count = 0;
        var stack = new Stack<JsonNode>(report["children"]!.AsArray()!);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            count += node["info"]!.AsObject().Count(p => p.Key.StartsWith("meta.raw_payload.", StringComparison.Ordinal));
            foreach (var c in node["children"]!.AsArray()) stack.Push(c!);
        }
        return count;
    }

    private static void AssertNested(JsonNode node)
    {
        foreach (var child in node["children"]!.AsArray())
        {
            Assert.True((long)child!["info"]!["started"]! >= (long)node["info"]!["started"]!, $"{Name(child)} starts before {Name(node)}");
            // A server's request (wsgi) may end after its caller has the answer: Kestrel sends the response as the
            // endpoint writes it, and the middleware records wsgi-stop once the pipeline returns. Across a client → server
            // edge only the start is ordered; within a process a child ends before its parent.
            if (Name(child) != "wsgi")
                Assert.True((long)child["info"]!["finished"]! <= (long)node["info"]!["finished"]!, $"{Name(child)} ends after {Name(node)}");
            AssertNested(child);
        }
    }
}
