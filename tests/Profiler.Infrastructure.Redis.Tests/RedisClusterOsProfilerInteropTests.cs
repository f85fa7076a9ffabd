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

    private JsonNode OsProfilerReport(string baseId) => OsProfilerInteropTests.OsProfilerReport(_dir.Path, OwnerUrl(baseId), baseId);

    private static Task<TraceReport> ProfilerReportAsync(ITraceStore store, string baseId) =>
        OsProfilerInteropTests.ProfilerReportAsync(store, baseId);

    /// <summary>
    /// A base id whose trace key lives on the primary on <paramref name="port"/>, and whether its error key does too.
    /// OSProfiler's notifier writes both through its one connection (with <c>filter_error_trace</c>), and a node answers
    /// MOVED for a key it does not own: so OSProfiler can record a trace's error only when both keys share a node. They
    /// rarely can: CRC16 is linear, so the slots of the two names differ by one fixed XOR for every base id of a given
    /// length (13994 for a UUID's 36 characters), and with the three primaries' usual ranges only the middle one ever
    /// holds both keys of such a trace.
    /// </summary>
    private (string BaseId, bool ErrorKeyAlongside) BaseIdOn(int port)
    {
        var owners = Topology.SlotOwners();
        string? fallback = null;
        for (var attempt = 0; attempt < 1_000; attempt++)
        {
            var id = Guid.NewGuid().ToString();
            // The hash slot is computed here (StackExchange.Redis's CRC16, as the server's CLUSTER KEYSLOT).
            if (owners[cluster.Admin.HashSlot("osprofiler_opt:" + id)] != port) continue;
            if (owners[cluster.Admin.HashSlot("osprofiler_error:" + id)] == port) return (id, true);
            fallback ??= id;
        }
        return fallback is not null ? (fallback, false) : throw new InvalidOperationException($"no base id of 1,000 had its trace key on :{port}");
    }

    [Fact]
    public async Task Traces_OSProfiler_wrote_on_every_primary_are_listed_once_and_shown_through_the_seed_list_as_OSProfiler_shows_them()
    {
        var script = Path.Combine(_dir.Path, "write_trace.py");
        await File.WriteAllTextAsync(script, OsProfilerInteropTests.WriterScript);
        // One trace on each primary, each written by OSProfiler through the node that owns it; its error recorded where
        // that node also owns the error key.
        var traces = Topology.PrimaryPorts().Select(BaseIdOn).ToList();
        foreach (var (baseId, errorKeyAlongside) in traces)
            ServerProcess.Run(OsProfilerInteropTests.Python(), [script, OwnerUrl(baseId), baseId, errorKeyAlongside ? "errors" : "no-errors"],
                timeout: TimeSpan.FromMinutes(1));
        var baseIds = traces.Select(t => t.BaseId).ToList();
        var failed = traces.Where(t => t.ErrorKeyAlongside).Select(t => t.BaseId).ToList();
        output.WriteLine($"{failed.Count} of {traces.Count} traces have their error key on the node of their trace key");
        Assert.NotEmpty(failed);

        await using var store = cluster.Open();
        foreach (var baseId in baseIds)
        {
            var ours = await ProfilerReportAsync(store, baseId);
            ReportAssert.Equivalent(OsProfilerReport(baseId), JsonNode.Parse(ReportJson.ToJson(ours))!);
            Assert.Equal(8, ours.PointCount);
            Assert.Equal("ValueError", ours.Children.Single().Children.Single(c => c.Name == "rpc").Exception);
        }
        // Listed once each, a page of two at a time across the shards, with the fields of their earliest points.
        var listed = await ListAllAsync(store, new TraceListQuery(2, Fields: ["name", "project", "service"]));
        Assert.Equal(baseIds.Order(), listed.Select(t => t.BaseId).Order());
        Assert.All(listed, t => Assert.Equal(("wsgi-start", "nova", "api"), (t.Fields["name"], t.Fields["project"], t.Fields["service"])));
        // OSProfiler's error index (filter_error_trace), on the owning nodes, lists the failed ones through the seed list too.
        Assert.Equal(failed.Order(), (await ListAllAsync(store, new TraceListQuery(2, ErrorsOnly: true))).Select(t => t.BaseId).Order());

        // Any one node's URL reaches the whole cluster: here a primary's, which owns one of the three.
        await using var throughOne = cluster.Open(url: RedisClusterTopology.NodeUrl(Topology.PrimaryPorts()[0]));
        foreach (var baseId in baseIds)
            ReportAssert.Equivalent(OsProfilerReport(baseId), JsonNode.Parse(ReportJson.ToJson(await ProfilerReportAsync(throughOne, baseId)))!);
        Assert.Equal(baseIds.Order(), (await ListAllAsync(throughOne, new TraceListQuery(2))).Select(t => t.BaseId).Order());
    }

    /// <summary>Follows the cursor to the end; fails on a trace listed twice.</summary>
    private static async Task<List<TraceSummary>> ListAllAsync(ITraceStore store, TraceListQuery first)
    {
        var seen = new List<TraceSummary>();
        var query = first;
        for (var pages = 1; ; pages++)
        {
            var page = await store.ListTracesAsync(query, CancellationToken.None);
            foreach (var trace in page.Traces)
            {
                Assert.DoesNotContain(seen, t => t.BaseId == trace.BaseId);
                seen.Add(trace);
            }
            Assert.True(pages < 100, "paging does not end");
            if (page.NextCursor is null) return seen;
            query = first with { Cursor = page.NextCursor };
        }
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
