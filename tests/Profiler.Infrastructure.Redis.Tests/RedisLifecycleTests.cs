using System.Collections.Concurrent;
using Profiler.Testing;
using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// The data lifecycle on a real redis-server: <c>ttl</c> expiries, pinning (<see cref="ITraceStorePinning"/>),
/// pruning (<see cref="ITraceStorePruning"/>) and statistics (<see cref="ITraceStoreStatistics"/>).
/// </summary>
public sealed class RedisLifecycleTests(RedisServer server) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly DateTime Old = new(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    /// <summary>How long a test waits for something Redis does on its own (an expiry): generous, for a loaded machine.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    public Task InitializeAsync() => server.FlushAsync();
    public Task DisposeAsync() => Task.CompletedTask;

    private static string At(DateTime utc) => TraceTimestamp.FromDateTime(utc).ToString();

    private static TracePoint Point(string baseId, string name, DateTime? at = null, bool failed = false) => new()
    {
        Name = name, BaseId = baseId, TraceId = baseId + "-op", ParentId = baseId, Timestamp = At(at ?? DateTime.UtcNow),
        Info = failed ? new JsonObject { ["host"] = "node-1", ["etype"] = "ValueError" } : new JsonObject { ["host"] = "node-1" },
    };

    private ITraceStore OpenWithTtl(string ttl = "1h") => server.Open(new DriverSettings { FilterErrorTrace = true }, query: $"?ttl={ttl}");

    private Task<TimeSpan?> TtlOf(string key) => server.Db().KeyTimeToLiveAsync(key);

    [Fact]
    public async Task A_write_with_ttl_gives_the_trace_list_and_its_error_key_that_expiry()
    {
        await using var store = OpenWithTtl("2h");
        await store.WriteAsync([Point("t-1", "wsgi-start"), Point("t-1", "wsgi-stop", failed: true), Point("t-2", "db-start")],
            CancellationToken.None);

        foreach (var key in new[] { "osprofiler_opt:t-1", "osprofiler_error:t-1", "osprofiler_opt:t-2" })
        {
            var ttl = await TtlOf(key);
            Assert.NotNull(ttl);
            Assert.InRange(ttl.Value, TimeSpan.FromHours(2) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(2));
        }
    }

    [Fact]
    public async Task DriverSettings_Ttl_applies_and_the_connection_strings_ttl_overrides_it()
    {
        await using (var store = server.Open(new DriverSettings { Ttl = TimeSpan.FromMinutes(10) }))
            await store.WriteAsync([Point("s-1", "a-start")], CancellationToken.None);
        await using (var store = server.Open(new DriverSettings { Ttl = TimeSpan.FromMinutes(10) }, query: "?ttl=90s"))
            await store.WriteAsync([Point("s-2", "a-start")], CancellationToken.None);

        Assert.InRange((await TtlOf("osprofiler_opt:s-1"))!.Value, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(10));
        Assert.InRange((await TtlOf("osprofiler_opt:s-2"))!.Value, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task Without_ttl_a_write_sets_no_expiry()
    {
        await using var store = server.Open(new DriverSettings { FilterErrorTrace = true });
        await store.WriteAsync([Point("n-1", "a-start", failed: true)], CancellationToken.None);

        Assert.Null(await TtlOf("osprofiler_opt:n-1"));
        Assert.Null(await TtlOf("osprofiler_error:n-1"));
    }

    [Fact]
    public void A_ttl_that_is_not_a_duration_is_a_FormatException_naming_it()
    {
        var e = Assert.Throws<FormatException>(() => server.Open(query: "?ttl=soon"));
        Assert.Contains("soon", e.Message, StringComparison.Ordinal);
        Assert.Contains("ttl", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pinned_trace_has_no_expiry_and_keeps_none_through_later_writes_and_unpinning_restores_it()
    {
        await using var store = OpenWithTtl();
        var pinning = (ITraceStorePinning)store;
        await store.WriteAsync([Point("p-1", "a-start", failed: true), Point("o-1", "a-start")], CancellationToken.None);

        Assert.True(await pinning.SetPinnedAsync("p-1", pinned: true, CancellationToken.None));
        Assert.Null(await TtlOf("osprofiler_opt:p-1"));
        Assert.Null(await TtlOf("osprofiler_error:p-1"));

        await store.WriteAsync([Point("p-1", "a-stop", failed: true), Point("o-1", "a-stop")], CancellationToken.None);
        Assert.Null(await TtlOf("osprofiler_opt:p-1"));
        Assert.Null(await TtlOf("osprofiler_error:p-1"));
        Assert.NotNull(await TtlOf("osprofiler_opt:o-1"));
        Assert.Equal(["p-1"], await pinning.ListPinnedAsync(CancellationToken.None));

        Assert.True(await pinning.SetPinnedAsync("p-1", pinned: false, CancellationToken.None));
        Assert.NotNull(await TtlOf("osprofiler_opt:p-1"));
        Assert.NotNull(await TtlOf("osprofiler_error:p-1"));
        Assert.Empty(await pinning.ListPinnedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Pinning_a_trace_with_no_points_or_an_unsafe_id_is_false_and_pins_nothing()
    {
        await using var store = OpenWithTtl();
        var pinning = (ITraceStorePinning)store;

        Assert.False(await pinning.SetPinnedAsync("missing", pinned: true, CancellationToken.None));
        Assert.False(await pinning.SetPinnedAsync("bad id*", pinned: true, CancellationToken.None));
        Assert.False(await server.Db().KeyExistsAsync("profiler_pinned"));
    }

    [Fact]
    public async Task Listing_pinned_traces_drops_ids_whose_trace_is_gone()
    {
        await using var store = OpenWithTtl();
        var pinning = (ITraceStorePinning)store;
        await store.WriteAsync([Point("g-1", "a-start"), Point("g-2", "a-start")], CancellationToken.None);
        await pinning.SetPinnedAsync("g-1", true, CancellationToken.None);
        await pinning.SetPinnedAsync("g-2", true, CancellationToken.None);

        await server.Db().KeyDeleteAsync("osprofiler_opt:g-2"); // gone behind Profiler's back

        Assert.Equal(["g-1"], await pinning.ListPinnedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Deleting_a_pinned_trace_unpins_it()
    {
        await using var store = OpenWithTtl();
        await store.WriteAsync([Point("d-1", "a-start")], CancellationToken.None);
        await ((ITraceStorePinning)store).SetPinnedAsync("d-1", true, CancellationToken.None);

        Assert.Equal(1, await ((ITraceStoreCleanup)store).DeleteTracesAsync(["d-1"], CancellationToken.None));

        Assert.False(await server.Db().SetContainsAsync("profiler_pinned", "d-1"));
    }

    [Fact]
    public async Task The_head_of_a_trace_list_is_its_newest_point()
    {
        await using var store = server.Open();
        await store.WriteAsync([Point("h-1", "a-start", Old)], CancellationToken.None);
        await store.WriteAsync([Point("h-1", "a-stop", Old.AddSeconds(5))], CancellationToken.None);

        var head = (string)(await server.Db().ListGetByIndexAsync("osprofiler_opt:h-1", 0))!;
        Assert.Contains(At(Old.AddSeconds(5)), head, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pruning_removes_traces_whose_newest_point_is_old_and_keeps_recent_and_pinned_ones()
    {
        await using var store = server.Open(new DriverSettings { FilterErrorTrace = true });
        await store.WriteAsync(
        [
            Point("old-1", "a-start", Old), Point("old-1", "a-stop", Old.AddSeconds(1), failed: true),
            Point("old-2", "a-start", Old),
            Point("mixed", "a-start", Old), Point("mixed", "a-stop", DateTime.UtcNow), // still being written: kept
            Point("new-1", "a-start"),
            Point("pinned", "a-start", Old), Point("pinned", "a-stop", Old),
        ], CancellationToken.None);
        await ((ITraceStorePinning)store).SetPinnedAsync("pinned", true, CancellationToken.None);
        var pruning = (ITraceStorePruning)store;
        var cutoff = DateTime.UtcNow.AddDays(-1);

        var dry = await pruning.PruneAsync(cutoff, dryRun: true, CancellationToken.None);
        Assert.Equal(new PruneResult(2, 3), dry);
        Assert.True(await server.Db().KeyExistsAsync("osprofiler_opt:old-1"));

        var done = await pruning.PruneAsync(cutoff, dryRun: false, CancellationToken.None);

        Assert.Equal(new PruneResult(2, 3), done);
        Assert.False(await server.Db().KeyExistsAsync("osprofiler_opt:old-1"));
        Assert.False(await server.Db().KeyExistsAsync("osprofiler_error:old-1"));
        Assert.False(await server.Db().KeyExistsAsync("osprofiler_opt:old-2"));
        Assert.True(await server.Db().KeyExistsAsync("osprofiler_opt:mixed"));
        Assert.True(await server.Db().KeyExistsAsync("osprofiler_opt:new-1"));
        Assert.Equal(2, await server.Db().ListLengthAsync("osprofiler_opt:pinned"));
        Assert.Equal(new PruneResult(0, 0), await pruning.PruneAsync(cutoff, dryRun: false, CancellationToken.None));
    }

    [Fact]
    public async Task Pruning_removes_an_OSProfiler_written_trace_with_no_expiry()
    {
        // As OSProfiler's Redis driver writes: LPUSH of json.dumps output, no EXPIRE.
        var db = server.Db();
        var stamp = At(Old);
        await db.ListLeftPushAsync("osprofiler_opt:0c5e4f1a-aaaa-bbbb-cccc-000000000001",
            $"{{\"name\": \"wsgi-start\", \"base_id\": \"0c5e4f1a-aaaa-bbbb-cccc-000000000001\", \"trace_id\": \"x\", \"parent_id\": \"y\", \"timestamp\": \"{stamp}\", \"info\": {{\"host\": \"n\"}}}}");
        await db.StringSetAsync("osprofiler_error:0c5e4f1a-aaaa-bbbb-cccc-000000000001",
            $"{{\"base_id\": \"0c5e4f1a-aaaa-bbbb-cccc-000000000001\", \"timestamp\": \"{stamp}\"}}");
        await using var store = server.Open();

        var result = await ((ITraceStorePruning)store).PruneAsync(DateTime.UtcNow.AddHours(-1), dryRun: false, CancellationToken.None);

        Assert.Equal(new PruneResult(1, 1), result);
        Assert.False(await db.KeyExistsAsync("osprofiler_opt:0c5e4f1a-aaaa-bbbb-cccc-000000000001"));
        Assert.False(await db.KeyExistsAsync("osprofiler_error:0c5e4f1a-aaaa-bbbb-cccc-000000000001"));
    }

    [Fact]
    public async Task Pruning_goes_through_more_traces_than_one_page_and_one_delete_batch()
    {
        await using var store = server.Open();
        var count = RedisTraceLifecycle.PageSize + RedisTraceLifecycle.DeleteBatch + 7;
        await store.WriteAsync([.. Enumerable.Range(0, count).Select(i => Point($"many-{i}", "a-start", Old))], CancellationToken.None);

        var result = await ((ITraceStorePruning)store).PruneAsync(DateTime.UtcNow, dryRun: false, CancellationToken.None);

        Assert.Equal(new PruneResult(count, count), result);
        Assert.Empty(await RedisSchema.ScanAsync(server.Db(), "osprofiler_opt:*"));
    }

    [Fact]
    public async Task Statistics_count_traces_points_timestamps_bytes_and_pins()
    {
        await using var store = server.Open(new DriverSettings { FilterErrorTrace = true });
        await store.WriteAsync(
        [
            Point("st-1", "a-start", Old), Point("st-1", "a-stop", Old.AddSeconds(3), failed: true),
            Point("st-2", "a-start", Old.AddMinutes(1)), Point("st-2", "b-start", Old.AddMinutes(2)), Point("st-2", "b-stop", Old.AddMinutes(3)),
        ], CancellationToken.None);
        await ((ITraceStorePinning)store).SetPinnedAsync("st-2", true, CancellationToken.None);

        var stats = await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None);

        Assert.Equal(2, stats.Traces);
        Assert.Equal(5, stats.Points);
        Assert.Equal(At(Old), stats.Oldest);
        Assert.Equal(At(Old.AddMinutes(3)), stats.Newest);
        Assert.NotNull(stats.Bytes);
        Assert.True(stats.Bytes > 0);
        Assert.Equal(1, stats.Pinned);
    }

    [Fact]
    public async Task Statistics_of_an_empty_store_are_zero_with_no_timestamps()
    {
        await using var store = server.Open();

        var stats = await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None);

        Assert.Equal(new TraceStoreStatistics(0, 0, null, null, 0, 0), stats);
    }

    [Fact]
    public async Task Constant_ingest_with_a_short_ttl_keeps_the_stored_point_count_bounded()
    {
        // Event-driven, not a timed soak: Redis reports each key it expires (keyspace notifications), and writes go on
        // until every trace of the first batches was reported expired, however long a loaded machine takes for that.
        const int PerBatch = 30, TracePoints = 10, FirstBatches = 10;
        var admin = server.Admin.GetServer("127.0.0.1", server.Port);
        var expired = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var events = RedisChannel.Literal("__keyevent@0__:expired");
        var subscriber = server.Admin.GetSubscriber();
        await admin.ConfigSetAsync("notify-keyspace-events", "Ex");
        await subscriber.SubscribeAsync(events, (_, key) => expired.TryAdd((string)key!, true));
        try
        {
            // A pinned trace that gets a point in every batch: pinned, it keeps all of them through the ingest.
            await using (var noTtl = server.Open())
                await noTtl.WriteAsync([Point("kept", "op-start")], CancellationToken.None);
            await using var store = OpenWithTtl("1s");
            Assert.True(await ((ITraceStorePinning)store).SetPinnedAsync("kept", pinned: true, CancellationToken.None));
            var pinnedPoints = 1;
            var written = 0;
            var first = new HashSet<string>(StringComparer.Ordinal);
            async Task WriteBatchAsync(int batchNo)
            {
                var points = Enumerable.Range(0, PerBatch)
                    .Select(i => Point($"soak-{(batchNo * PerBatch + i) / TracePoints}", $"op{i}-start"))
                    .Append(Point("kept", $"op{batchNo}-stop")).ToArray();
                await store.WriteAsync(points, CancellationToken.None);
                written += PerBatch;
                pinnedPoints++;
                if (batchNo < FirstBatches) first.UnionWith(points.Where(p => p.BaseId != "kept").Select(p => "osprofiler_opt:" + p.BaseId));
            }

            var batchNo = 0;
            for (; batchNo < FirstBatches; batchNo++) await WriteBatchAsync(batchNo);
            // Ingest goes on, a batch each poll, until Redis has reported every trace of the first batches expired.
            await Waiting.UntilAsync(async () =>
                {
                    if (first.All(expired.ContainsKey)) return true;
                    await WriteBatchAsync(batchNo++);
                    return false;
                }, $"Redis to expire the {first.Count} traces of the first {FirstBatches} batches (ttl 1 s) under constant ingest",
                Patience, () => $"{first.Count(expired.ContainsKey)} expired, {batchNo} batches written");

            // Every trace of the first batches was stored (a key that never existed is not expired) and is gone now;
            // what is stored has an expiry, except the pinned trace, which holds every point written to it.
            var stats = await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None);
            Assert.True(stats.Points <= written - first.Count * TracePoints + pinnedPoints,
                $"{stats.Points} points counted after the {first.Count * TracePoints} points of the first batches expired ({written} written, {pinnedPoints} pinned)");
            Assert.Equal(pinnedPoints, await server.Db().ListLengthAsync("osprofiler_opt:kept"));
            Assert.Equal(1, stats.Pinned);
            foreach (var key in await RedisSchema.ScanAsync(server.Db(), "osprofiler_opt:*"))
            {
                var ttl = (long)await server.Db().ExecuteAsync("PTTL", key);
                if ((string)key! == "osprofiler_opt:kept") Assert.Equal(-1, ttl);
                else Assert.True(ttl is -2 or >= 0 and <= 1000, $"{key} has PTTL {ttl}: no expiry, or not the ttl of 1 s"); // 0: under a millisecond left
            }
        }
        finally
        {
            await subscriber.UnsubscribeAsync(events);
            await admin.ConfigSetAsync("notify-keyspace-events", "");
        }
    }

    [Fact]
    public async Task The_ttl_write_path_works_on_a_server_the_script_cache_was_flushed_on()
    {
        await using var store = OpenWithTtl();
        await store.WriteAsync([Point("f-1", "a-start")], CancellationToken.None);
        await server.Admin.GetServer("127.0.0.1", server.Port).ScriptFlushAsync();
        using var limit = new CancellationTokenSource(Patience);

        await store.WriteAsync([Point("f-2", "a-start")], limit.Token);

        Assert.NotNull(await TtlOf("osprofiler_opt:f-2"));
    }

    [Fact]
    public async Task Listing_works_on_a_server_the_script_cache_was_flushed_on()
    {
        await using var store = server.Open();
        await store.WriteAsync([Point("l-1", "a-start")], CancellationToken.None);
        await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);
        await server.Admin.GetServer("127.0.0.1", server.Port).ScriptFlushAsync();
        using var limit = new CancellationTokenSource(Patience);

        var page = await store.ListTracesAsync(new TraceListQuery(10), limit.Token);

        Assert.Equal("l-1", Assert.Single(page.Traces).BaseId);
    }
}
