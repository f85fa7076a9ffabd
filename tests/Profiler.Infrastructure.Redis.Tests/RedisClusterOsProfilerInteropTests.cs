using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Domain.Reports;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// Interop with the real OSProfiler (Debian's python3-osprofiler) through a Redis Cluster, both ways. OSProfiler's
/// Redis driver is not cluster-aware (one redis-py connection, no redirects followed), so it is pointed at the node
/// owning the trace's key, <c>osprofiler_opt:&lt;base_id&gt;</c>: one trace, one key, one slot, one node. Profiler goes
/// through the seed list naming every node, or through any one node's URL.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterOsProfilerInteropTests(RedisCluster cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("profiler-cluster-interop-");

    private RedisClusterTopology Topology => cluster.Topology;

    public Task InitializeAsync() => cluster.FlushAsync();

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The URL of the node owning <c>osprofiler_opt:&lt;base_id&gt;</c> now: what OSProfiler must be given.</summary>
    private string OwnerUrl(string baseId) => RedisClusterTopology.NodeUrl(Topology.PortOfKey("osprofiler_opt:" + baseId));

    private JsonNode OsProfilerReport(string baseId)
    {
        var file = Path.Combine(_dir.Path, $"{baseId}.json");
        OsProfilerInteropTests.OsProfiler("trace", "show", baseId, "--connection-string", OwnerUrl(baseId), "--json", "--out", file);
        return JsonNode.Parse(File.ReadAllText(file))!;
    }

    private static async Task<TraceReport> ProfilerReportAsync(ITraceStore store, string baseId)
    {
        var builder = new ReportBuilder();
        await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None)) builder.Add(p);
        Assert.True(builder.Count > 0, $"Profiler found no points of {baseId}");
        return builder.Build();
    }

    /// <summary>
    /// A base id whose trace key and error key live on the same primary: OSProfiler's notifier writes both through its
    /// one connection (with <c>filter_error_trace</c>), and a node answers MOVED for a key it does not own.
    /// </summary>
    private string BaseIdOnOneNode()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var id = Guid.NewGuid().ToString();
            if (Topology.PortOfKey("osprofiler_opt:" + id) == Topology.PortOfKey("osprofiler_error:" + id)) return id;
        }
        throw new InvalidOperationException("no base id of 100 had its trace and error keys on one node");
    }

    [Fact]
    public async Task A_trace_OSProfiler_wrote_on_the_node_owning_it_is_listed_and_shown_through_the_seed_list_as_OSProfiler_shows_it()
    {
        var baseId = BaseIdOnOneNode();
        var script = Path.Combine(_dir.Path, "write_trace.py");
        await File.WriteAllTextAsync(script, OsProfilerInteropTests.WriterScript);
        ServerProcess.Run(OsProfilerInteropTests.Python(), [script, OwnerUrl(baseId), baseId], timeout: TimeSpan.FromMinutes(1));
        var theirs = OsProfilerReport(baseId);

        await using var store = cluster.Open();
        var ours = await ProfilerReportAsync(store, baseId);

        ReportAssert.Equivalent(theirs, JsonNode.Parse(ReportJson.ToJson(ours))!);
        Assert.Equal(8, ours.PointCount);
        Assert.Equal("ValueError", ours.Children.Single().Children.Single(c => c.Name == "rpc").Exception);
        var all = await store.ListTracesAsync(new TraceListQuery(10, Fields: ["name", "project", "service"]), CancellationToken.None);
        var listed = Assert.Single(all.Traces);
        Assert.Equal((baseId, "wsgi-start", "nova", "api"), (listed.BaseId, listed.Fields["name"], listed.Fields["project"], listed.Fields["service"]));
        // OSProfiler's error index (filter_error_trace), on the owning node, lists it as failed through the seed list too.
        var errors = await store.ListTracesAsync(new TraceListQuery(10, ErrorsOnly: true), CancellationToken.None);
        Assert.Equal(baseId, Assert.Single(errors.Traces).BaseId);

        // Any one node's URL reaches the whole cluster: here a primary that does not own the trace.
        var other = Topology.PrimaryPorts().First(p => p != Topology.PortOfKey("osprofiler_opt:" + baseId));
        await using var throughOther = cluster.Open(url: RedisClusterTopology.NodeUrl(other));
        ReportAssert.Equivalent(theirs, JsonNode.Parse(ReportJson.ToJson(await ProfilerReportAsync(throughOther, baseId)))!);
        Assert.Equal(baseId, Assert.Single((await throughOther.ListTracesAsync(new TraceListQuery(10), CancellationToken.None)).Traces).BaseId);
    }

    [Fact]
    public async Task Traces_Profiler_wrote_through_the_seed_list_are_shown_by_OSProfiler_from_the_node_owning_each()
    {
        await using var store = cluster.Open();
        var owners = new HashSet<int>();
        foreach (var shape in Fixtures.All().Where(f => f.Backend == "redis").Select(f => f.Shape))
        {
            var fixture = FixtureTrace.Load(shape, "redis");
            await store.WriteAsync(fixture.Points, CancellationToken.None);

            var ours = ReportJson.ToJson(await ProfilerReportAsync(store, fixture.BaseId));
            var theirs = OsProfilerReport(fixture.BaseId);

            owners.Add(Topology.PortOfKey("osprofiler_opt:" + fixture.BaseId));
            output.WriteLine($"{shape}: osprofiler trace show on the owning node agrees");
            ReportAssert.Equivalent(theirs, JsonNode.Parse(ours)!);
        }
        output.WriteLine($"the fixtures' traces live on {owners.Count} of {RedisClusterTopology.Primaries} primaries");
    }

    [Fact]
    public async Task Osprofiler_trace_list_on_the_owning_nodes_shows_a_trace_and_its_error_record_Profiler_wrote()
    {
        var baseId = Guid.NewGuid().ToString();
        var op = Guid.NewGuid().ToString();
        var at = new DateTime(2026, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        await using var store = cluster.Open(new DriverSettings { FilterErrorTrace = true, Project = "glance", Service = "api" });
        await store.WriteAsync(
        [
            new() { Name = "upload-start", BaseId = baseId, TraceId = op, ParentId = baseId,
                    Timestamp = TraceTimestamp.FromDateTime(at).ToString(), Info = new JsonObject { ["host"] = "node-2" } },
            new() { Name = "upload-stop", BaseId = baseId, TraceId = op, ParentId = baseId,
                    Timestamp = TraceTimestamp.FromDateTime(at.AddMilliseconds(4)).ToString(),
                    Info = new JsonObject { ["host"] = "node-2", ["etype"] = "IOError", ["message"] = "disk full" } },
        ], CancellationToken.None);

        // Each key in OSProfiler's own name and format on the node owning it (two nodes when the slots differ).
        var list = OsProfilerInteropTests.OsProfiler("trace", "list", "--connection-string",
            RedisClusterTopology.NodeUrl(Topology.PortOfKey("osprofiler_opt:" + baseId)));
        var errors = OsProfilerInteropTests.OsProfiler("trace", "list", "--connection-string",
            RedisClusterTopology.NodeUrl(Topology.PortOfKey("osprofiler_error:" + baseId)), "--error-trace", "yes");
        output.WriteLine(list);
        output.WriteLine(errors);

        Assert.Contains(baseId, list);
        Assert.Contains("2026-05-06T07:08:09.000000", list);
        Assert.Contains(baseId, errors);
        Assert.Contains("2026-05-06T07:08:09.004000", errors);
    }
}
