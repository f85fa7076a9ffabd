using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// What the driver writes on a real Redis Cluster (three primaries with replicas): every script names keys of one slot,
/// traces spread over the primaries, and the summaries, indexes, pins, expiries and deletions stay consistent although
/// a trace's keys and Profiler's index sets live in different slots.
/// </summary>
public sealed class RedisClusterKeysTests(RedisClusterTopology cluster) : IClassFixture<RedisClusterTopology>, IAsyncLifetime
{
    private ConnectionMultiplexer? _admin;

    public async Task InitializeAsync()
    {
        _admin = await ConnectionMultiplexer.ConnectAsync(RedisCluster.AdminOptions(cluster));
        foreach (var server in _admin.GetServers().Where(s => s.IsConnected && !s.IsReplica)) await server.FlushDatabaseAsync();
    }

    public async Task DisposeAsync()
    {
        if (_admin is not null) await _admin.DisposeAsync();
    }

    private IDatabase Db => _admin!.GetDatabase();

    /// <summary>A store reached through one node's URL: the driver finds the cluster from it.</summary>
    private ITraceStore Open(string query = "", DriverSettings? settings = null) =>
        new RedisDriver().Open(ConnectionString.Parse($"redis://127.0.0.1:{cluster.Ports[0]}{query}"),
            settings ?? new DriverSettings { FilterErrorTrace = true });

    private static TracePoint Point(string baseId, string name, int second, string service = "api", bool failed = false) => new()
    {
        Name = name, BaseId = baseId, TraceId = baseId + "-op", ParentId = baseId, Service = service,
        Timestamp = TraceTimestamp.FromDateTime(new DateTime(2026, 5, 1, 9, 0, second, DateTimeKind.Utc)).ToString(),
        Info = failed ? new JsonObject { ["host"] = "node-1", ["etype"] = "ValueError" } : new JsonObject { ["host"] = "node-1" },
    };

    private static List<TracePoint> Trace(string baseId, int second, string service = "api", bool failed = false) =>
        [Point(baseId, "db-start", second, service), Point(baseId, "db-stop", second + 1, service, failed)];

    [Fact]
    public async Task A_write_after_every_primary_lost_its_scripts_loads_them_again_and_stores_each_point_once()
    {
        await using var store = Open();
        var ids = Enumerable.Range(0, 12).Select(i => $"flushed-{i}").ToList();
        await store.WriteAsync(ids.Take(6).SelectMany((id, i) => Trace(id, i)).ToList(), CancellationToken.None);
        foreach (var server in _admin!.GetServers().Where(s => s.IsConnected && !s.IsReplica)) await server.ScriptFlushAsync();

        // The write's EVALSHA finds no script on any primary (NOSCRIPT): it is loaded and the whole write sent again.
        await store.WriteAsync(ids.Skip(6).SelectMany((id, i) => Trace(id, i)).ToList(), CancellationToken.None);

        Assert.Equal(3, ids.Skip(6).Select(id => cluster.PortOfKey("osprofiler_opt:" + id)).Distinct().Count());
        foreach (var server in _admin!.GetServers().Where(s => s.IsConnected && !s.IsReplica))
            Assert.True((bool)(await server.ExecuteAsync("SCRIPT", "EXISTS", RedisScripts.WriteTraceSha))[0], $"{server.EndPoint} lacks the write script");
        foreach (var id in ids)
        {
            Assert.Equal(2, await Db.ListLengthAsync("osprofiler_opt:" + id));
            Assert.Equal("2", (string?)await Db.HashGetAsync("{osprofiler_opt:" + id + "}:summary", "points"));
        }
    }

    [Fact]
    public async Task Traces_written_in_one_batch_spread_over_every_primary_and_each_is_summarised_and_found_by_search()
    {
        await using var store = Open();
        var ids = Enumerable.Range(0, 30).Select(i => $"spread-{i}").ToList();
        await store.WriteAsync(ids.SelectMany((id, i) => Trace(id, i % 50, i % 2 == 0 ? "even" : "odd")).ToList(), CancellationToken.None);

        Assert.Equal(3, ids.Select(id => cluster.PortOfKey("osprofiler_opt:" + id)).Distinct().Count());
        foreach (var id in ids)
        {
            Assert.Equal(2, await Db.ListLengthAsync("osprofiler_opt:" + id));
            Assert.Equal("2", (string?)await Db.HashGetAsync("{osprofiler_opt:" + id + "}:summary", "points"));
        }
        var search = (ITraceStoreSearch)store;
        var even = new TraceListQuery(100) { Filter = new TraceFilter(Service: "even") };
        Assert.Equal(15, await search.CountTracesAsync(even, CancellationToken.None));
        var page = await store.ListTracesAsync(even, CancellationToken.None);
        Assert.Equal(ids.Where((_, i) => i % 2 == 0).Order(StringComparer.Ordinal), page.Traces.Select(t => t.BaseId).Order(StringComparer.Ordinal));
        Assert.All(page.Traces, t => Assert.Equal(1000, t.DurationMs));
    }

    [Fact]
    public async Task A_batch_sent_again_is_stored_and_counted_once_and_repairs_index_entries_lost_in_between()
    {
        await using var store = Open();
        var batch = Guid.NewGuid();
        var points = Trace("again-1", 1).Concat(Trace("again-2", 5)).ToList();
        await store.WriteAsync(points, batch, CancellationToken.None);
        // The index step lost (as if the writer died between the trace slot's script and the index slot's writes).
        await Db.SortedSetRemoveAsync("{profiler}:idx:start", "again-2");
        await Db.SortedSetRemoveAsync("{profiler}:idx:s:api", "again-2");

        await store.WriteAsync(points, batch, CancellationToken.None);

        Assert.Equal(2, await Db.ListLengthAsync("osprofiler_opt:again-2"));
        Assert.Equal("2", (string?)await Db.HashGetAsync("{osprofiler_opt:again-2}:summary", "points"));
        Assert.NotNull(await Db.SortedSetScoreAsync("{profiler}:idx:start", "again-2"));
        var api = new TraceListQuery(10) { Filter = new TraceFilter(Service: "api") };
        Assert.Equal(2, await ((ITraceStoreSearch)store).CountTracesAsync(api, CancellationToken.None));
    }

    [Fact]
    public async Task A_pinned_trace_keeps_no_expiry_through_later_writes_and_unpinning_restores_it()
    {
        await using var store = Open("?ttl=1h");
        var pinning = (ITraceStorePinning)store;
        await store.WriteAsync(Trace("pin-1", 1, failed: true).Concat(Trace("other-1", 1)).ToList(), CancellationToken.None);

        Assert.True(await pinning.SetPinnedAsync("pin-1", pinned: true, CancellationToken.None));
        await store.WriteAsync([Point("pin-1", "more-start", 9, failed: true), Point("other-1", "more-start", 9)], CancellationToken.None);

        Assert.Null(await Db.KeyTimeToLiveAsync("osprofiler_opt:pin-1"));
        Assert.Null(await Db.KeyTimeToLiveAsync("osprofiler_error:pin-1"));
        Assert.Null(await Db.KeyTimeToLiveAsync("{osprofiler_opt:pin-1}:summary"));
        Assert.NotNull(await Db.KeyTimeToLiveAsync("osprofiler_opt:other-1"));
        Assert.NotNull(await Db.KeyTimeToLiveAsync("{osprofiler_opt:other-1}:summary"));
        Assert.Equal(["pin-1"], await pinning.ListPinnedAsync(CancellationToken.None));

        Assert.True(await pinning.SetPinnedAsync("pin-1", pinned: false, CancellationToken.None));
        Assert.NotNull(await Db.KeyTimeToLiveAsync("osprofiler_opt:pin-1"));
        Assert.NotNull(await Db.KeyTimeToLiveAsync("osprofiler_error:pin-1"));
        Assert.Empty(await pinning.ListPinnedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Deleting_a_trace_removes_every_key_of_it_from_every_slot_and_keeps_the_others()
    {
        await using var store = Open();
        await store.WriteAsync(Trace("gone-1", 1, failed: true).Concat(Trace("kept-1", 3)).ToList(), CancellationToken.None);
        await ((ITraceStorePinning)store).SetPinnedAsync("gone-1", pinned: true, CancellationToken.None);

        Assert.Equal(1, await ((ITraceStoreCleanup)store).DeleteTracesAsync(["gone-1"], CancellationToken.None));

        Assert.False(await Db.KeyExistsAsync("osprofiler_opt:gone-1"));
        Assert.False(await Db.KeyExistsAsync("osprofiler_error:gone-1"));
        Assert.False(await Db.KeyExistsAsync("{osprofiler_opt:gone-1}:summary"));
        Assert.False(await Db.KeyExistsAsync("{osprofiler_opt:gone-1}:pinned"));
        Assert.False(await Db.KeyExistsAsync("{osprofiler_error:gone-1}:pinned"));
        Assert.False(await Db.SetContainsAsync("{profiler}:pinned", "gone-1"));
        foreach (var set in new[] { "start", "duration", "error", "s:api", "n:db" })
            Assert.Null(await Db.SortedSetScoreAsync("{profiler}:idx:" + set, "gone-1"));
        Assert.Equal(2, await Db.ListLengthAsync("osprofiler_opt:kept-1"));
        Assert.NotNull(await Db.SortedSetScoreAsync("{profiler}:idx:start", "kept-1"));
    }

    [Fact]
    public async Task Pruning_removes_old_traces_from_every_slot_with_their_summaries_and_index_entries_and_keeps_pinned_ones()
    {
        await using var store = Open();
        var old = Enumerable.Range(0, 12).Select(i => $"old-{i}").ToList();
        await store.WriteAsync(old.SelectMany((id, i) => Trace(id, i, failed: i == 0)).Concat(Trace("pinned-1", 20)).ToList(), CancellationToken.None);
        await ((ITraceStorePinning)store).SetPinnedAsync("pinned-1", pinned: true, CancellationToken.None);

        var pruned = await ((ITraceStorePruning)store).PruneAsync(new DateTime(2027, 1, 1, 0, 0, 0, DateTimeKind.Utc), dryRun: false, CancellationToken.None);

        Assert.Equal((12, 24), (pruned.Traces, pruned.Points));
        Assert.Equal(3, old.Select(id => cluster.PortOfKey("osprofiler_opt:" + id)).Distinct().Count());
        foreach (var id in old)
        {
            Assert.False(await Db.KeyExistsAsync("osprofiler_opt:" + id));
            Assert.False(await Db.KeyExistsAsync("{osprofiler_opt:" + id + "}:summary"));
            Assert.Null(await Db.SortedSetScoreAsync("{profiler}:idx:start", id));
            Assert.Null(await Db.SortedSetScoreAsync("{profiler}:idx:s:api", id));
        }
        Assert.False(await Db.KeyExistsAsync("osprofiler_error:old-0"));
        Assert.Null(await Db.SortedSetScoreAsync("{profiler}:idx:error", "old-0"));
        Assert.Equal(2, await Db.ListLengthAsync("osprofiler_opt:pinned-1"));
        Assert.NotNull(await Db.SortedSetScoreAsync("{profiler}:idx:start", "pinned-1"));
    }
}
