using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// Reads across the shards of a Redis Cluster: listing, error listing, legacy traces, statistics and the prune's count
/// see the keys of every primary, merged behind one cursor. The keys are written as OSProfiler writes them (an LPUSH
/// of each point's document), straight to the cluster, and spread over all three primaries.
/// </summary>
[Collection(RedisClusterReadsCollection.Name)]
public sealed class RedisClusterListingTests(RedisClusterReadsFixture fixture) : IAsyncLifetime
{
    private static readonly DateTime Start = new(2026, 11, 29, 10, 0, 0, DateTimeKind.Utc);

    public Task InitializeAsync() => fixture.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private ClusterParts Open(string query = "") => RedisClusterReadsFixture.Open(fixture.Cluster.Url(query));

    private static string Timestamp(DateTime at) => TraceTimestamp.FromDateTime(at).ToString();

    private static byte[] Point(string baseId, DateTime at, string name = "wsgi-start", bool error = false) =>
        TracePointJson.ToUtf8(new TracePoint
        {
            Name = name, BaseId = baseId, TraceId = baseId + "-op", ParentId = baseId, Timestamp = Timestamp(at),
            Info = error ? new JsonObject { ["host"] = "h", ["etype"] = "ValueError" } : new JsonObject { ["host"] = "h" },
        }, "proj", "svc");

    /// <summary>Writes trace <paramref name="baseId"/> as OSProfiler does: its start point, then a later stop point.</summary>
    private async Task WriteTraceAsync(string baseId, DateTime at)
    {
        await fixture.Db.ListLeftPushAsync("osprofiler_opt:" + baseId, Point(baseId, at));
        await fixture.Db.ListLeftPushAsync("osprofiler_opt:" + baseId, Point(baseId, at.AddMilliseconds(5), "wsgi-stop"));
    }

    /// <summary>Traces trace-00 … trace-(n-1), at the times <paramref name="at"/> gives; checks they lie on all three primaries.</summary>
    private async Task<List<(string BaseId, DateTime At)>> WriteTracesAsync(int count, Func<int, DateTime> at)
    {
        var traces = Enumerable.Range(0, count).Select(i => ($"trace-{i:00}", at(i))).ToList();
        foreach (var (id, time) in traces) await WriteTraceAsync(id, time);
        Assert.Equal(3, traces.Select(t => fixture.PrimaryOf("osprofiler_opt:" + t.Item1)).Distinct().Count());
        return traces;
    }

    /// <summary>Newest earliest point first, then base id descending: the listing's order.</summary>
    private static List<string> NewestFirst(IEnumerable<(string BaseId, DateTime At)> traces) =>
        traces.OrderByDescending(t => t.At).ThenByDescending(t => t.BaseId, StringComparer.Ordinal).Select(t => t.BaseId).ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_trace_of_every_primary_is_listed_once_newest_first(bool allFields)
    {
        var traces = await WriteTracesAsync(30, i => Start.AddSeconds(i));
        var log = new LogCapture();
        await using var parts = RedisClusterReadsFixture.Open(fixture.Cluster.Url(), logger: log.CreateLogger("cluster"));

        var page = await parts.Lister.ListAsync(new TraceListQuery(100, Fields: allFields ? ["base_id", "timestamp", "name"] : []),
            CancellationToken.None);

        // Timestamps alone come from the listing script, sent to each primary: it ran, with nothing to fall back from.
        Assert.DoesNotContain("refused the listing script", log.All);
        Assert.Equal(NewestFirst(traces), page.Traces.Select(t => t.BaseId));
        Assert.Null(page.NextCursor);
        Assert.Equal(Timestamp(Start.AddSeconds(29)), page.Traces[0].Timestamp);
        if (allFields) Assert.All(page.Traces, t => Assert.Equal("wsgi-start", t.Fields["name"]));
    }

    [Fact]
    public async Task A_key_of_another_type_under_the_list_prefix_on_one_primary_does_not_break_the_listing()
    {
        var traces = await WriteTracesAsync(30, i => Start.AddSeconds(i));
        await fixture.Db.StringSetAsync("osprofiler_opt:foreign", "not a list");
        var log = new LogCapture();
        await using var parts = RedisClusterReadsFixture.Open(fixture.Cluster.Url(), logger: log.CreateLogger("cluster"));

        var page = await parts.Lister.ListAsync(new TraceListQuery(100), CancellationToken.None);

        Assert.Equal(NewestFirst(traces), page.Traces.Select(t => t.BaseId));
        // The script failed on that key (WRONGTYPE) on its primary; the earliest points were read instead.
        Assert.Contains("refused the listing script (WrongType)", log.All);
    }

    [Fact]
    public async Task Paging_by_cursor_across_primaries_gives_every_trace_once_in_order_even_on_equal_timestamps()
    {
        // Four traces share each timestamp, so a page ends inside a tie whose traces lie on different primaries.
        var traces = await WriteTracesAsync(40, i => Start.AddSeconds(i / 4));
        await using var parts = Open();

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await parts.Lister.ListAsync(new TraceListQuery(3, cursor), CancellationToken.None);
            Assert.InRange(page.Traces.Count, 1, 3);
            seen.AddRange(page.Traces.Select(t => t.BaseId));
            cursor = page.NextCursor;
        } while (cursor is not null && seen.Count <= 40);

        Assert.Equal(NewestFirst(traces), seen);
    }

    [Fact]
    public async Task The_store_pages_through_a_cluster_with_each_trace_summarised()
    {
        var traces = await WriteTracesAsync(20, i => Start.AddSeconds(i));
        await using var store = new RedisDriver().Open(ConnectionString.Parse(fixture.Cluster.Url()), new DriverSettings());

        var seen = new List<TraceSummary>();
        string? cursor = null;
        do
        {
            var page = await store.ListTracesAsync(new TraceListQuery(6, cursor), CancellationToken.None);
            seen.AddRange(page.Traces);
            cursor = page.NextCursor;
        } while (cursor is not null && seen.Count <= 20);

        Assert.Equal(NewestFirst(traces), seen.Select(t => t.BaseId));
        // Each trace's start and stop, 5 ms apart, summarised from the points OSProfiler's way of writing left.
        Assert.All(seen, t => Assert.Equal(5.0, t.DurationMs));
    }

    [Fact]
    public async Task A_search_first_summarises_the_OSProfiler_traces_of_every_primary()
    {
        var traces = await WriteTracesAsync(20, i => Start.AddSeconds(i));
        await using var store = new RedisDriver().Open(ConnectionString.Parse(fixture.Cluster.Url()), new DriverSettings());

        var page = await store.ListTracesAsync(new TraceListQuery(100) { Filter = new TraceFilter(Service: "svc") }, CancellationToken.None);

        Assert.Equal(NewestFirst(traces), page.Traces.Select(t => t.BaseId));
    }

    [Fact]
    public async Task The_error_listing_reads_the_error_keys_of_every_primary()
    {
        var traces = await WriteTracesAsync(30, i => Start.AddSeconds(i));
        var failed = traces.Where((_, i) => i % 3 == 0).ToList();
        foreach (var (id, at) in failed)
            await fixture.Db.StringSetAsync("osprofiler_error:" + id, $$"""{"base_id": "{{id}}", "timestamp": "{{Timestamp(at)}}"}""");
        // An error record whose trace list is gone is listed from the record.
        await fixture.Db.StringSetAsync("osprofiler_error:orphan", $$"""{"base_id": "orphan", "timestamp": "{{Timestamp(Start.AddHours(1))}}"}""");
        Assert.Equal(3, failed.Select(t => fixture.PrimaryOf("osprofiler_error:" + t.BaseId)).Distinct().Count());
        await using var parts = Open("?filter_error_trace=true");

        var page = await parts.Lister.ListAsync(new TraceListQuery(100, ErrorsOnly: true), CancellationToken.None);

        Assert.Equal(["orphan", .. NewestFirst(failed)], page.Traces.Select(t => t.BaseId));
    }

    [Fact]
    public async Task A_legacy_trace_whose_point_keys_lie_on_several_primaries_is_read_whole()
    {
        const string baseId = "legacy-trace";
        var keys = Enumerable.Range(0, 12).Select(i => $"osprofiler:{baseId}{i:00}").ToList();
        for (var i = 0; i < keys.Count; i++)
            await fixture.Db.StringSetAsync(keys[i], Point(baseId, Start.AddSeconds(i), "db-start"));
        // A neighbour's point under the same prefix is not part of the trace.
        await fixture.Db.StringSetAsync($"osprofiler:{baseId}-other", Point(baseId + "-other", Start));
        Assert.True(keys.Select(fixture.PrimaryOf).Distinct().Count() > 1);
        await using var parts = Open();

        var points = new List<StoredPoint>();
        await foreach (var p in parts.Reader.ReadTraceAsync(baseId, CancellationToken.None)) points.Add(p);

        Assert.Equal(12, points.Count);
        Assert.All(points, p => Assert.Equal((baseId, "db-start"), (p.ParentId, p.Name)));
        var listed = await parts.Lister.ListAsync(new TraceListQuery(10), CancellationToken.None);
        Assert.Equal([baseId + "-other", baseId], listed.Traces.Select(t => t.BaseId).Order(StringComparer.Ordinal).Reverse());
    }

    [Fact]
    public async Task Statistics_count_the_traces_and_points_of_every_primary()
    {
        await WriteTracesAsync(30, i => Start.AddSeconds(i));
        await using var parts = Open();

        var stats = await parts.Lifecycle.GetStatisticsAsync(CancellationToken.None);

        Assert.Equal(30, stats.Traces);
        Assert.Equal(60, stats.Points);
        Assert.Equal(Timestamp(Start), stats.Oldest);
        Assert.Equal(Timestamp(Start.AddSeconds(29).AddMilliseconds(5)), stats.Newest);
    }

    [Fact]
    public async Task A_dry_run_prune_counts_the_old_traces_of_every_primary()
    {
        await WriteTracesAsync(30, i => Start.AddSeconds(i));
        await using var parts = Open();

        var result = await parts.Lifecycle.PruneAsync(Start.AddSeconds(15), dryRun: true, CancellationToken.None);

        // trace-00 … trace-14: their newest points are before the cutoff.
        Assert.Equal(new PruneResult(15, 30), result);
        Assert.True(await fixture.Db.KeyExistsAsync("osprofiler_opt:trace-00"));
    }

    [Fact]
    public async Task A_prune_deletes_the_old_traces_of_every_primary_and_keeps_the_rest()
    {
        var traces = await WriteTracesAsync(30, i => Start.AddSeconds(i));
        await using var parts = Open();

        var result = await parts.Lifecycle.PruneAsync(Start.AddSeconds(15), dryRun: false, CancellationToken.None);

        Assert.Equal(new PruneResult(15, 30), result);
        var left = await parts.Lister.ListAsync(new TraceListQuery(100), CancellationToken.None);
        Assert.Equal(NewestFirst(traces.Skip(15)), left.Traces.Select(t => t.BaseId));
    }

    [Fact]
    public async Task Keys_handed_over_by_every_primary_are_exactly_the_keyspace()
    {
        var traces = await WriteTracesAsync(30, i => Start.AddSeconds(i));
        await using var parts = Open();

        var keys = await parts.Connection.RunAsync("scan", db => RedisSchema.ScanAsync(db, RedisSchema.ListPrefix + "*"), CancellationToken.None);

        Assert.Equal(traces.Select(t => "osprofiler_opt:" + t.BaseId).Order(StringComparer.Ordinal),
            keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));
    }
}
