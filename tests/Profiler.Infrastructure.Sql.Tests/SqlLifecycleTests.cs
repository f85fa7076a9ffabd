using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>
/// The data lifecycle on every SQL server (issue 15): pins in the side table, pruning whole traces by their newest
/// point in bounded rounds, and statistics. One derived class a backend supplies the store.
/// </summary>
public abstract class SqlLifecycleTests
{
    private static readonly DateTime At = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    /// <summary>A store over a fresh, empty database.</summary>
    protected abstract ITraceStore Open(DriverSettings? settings = null, string? query = null);

    private static TracePoint Point(string baseId, string name, DateTime at) => new()
    {
        Name = name, BaseId = baseId, TraceId = $"{baseId}-{name}", ParentId = baseId,
        Timestamp = TraceTimestamp.FromDateTime(at).ToString(), Info = new JsonObject { ["host"] = "node-1" },
    };

    /// <summary>A start and a stop point of one trace at <paramref name="start"/> and one second later.</summary>
    private static TracePoint[] Trace(string baseId, DateTime start) =>
        [Point(baseId, "op-start", start), Point(baseId, "op-stop", start.AddSeconds(1))];

    private static async Task<List<string>> ListedAsync(ITraceStore store) =>
        (await store.ListTracesAsync(new TraceListQuery(1000), CancellationToken.None)).Traces.Select(t => t.BaseId).Order(StringComparer.Ordinal).ToList();

    private static async Task WriteOldAndRecentAsync(ITraceStore store)
    {
        await store.WriteAsync([.. Trace("old-1", At), .. Trace("old-2", At.AddMinutes(1)), .. Trace("old-pinned", At),
            .. Trace("recent", At.AddHours(2)),
            // Began long ago, still being written: its newest point is after the cutoff.
            Point("long-running", "op-start", At), Point("long-running", "op-stop", At.AddHours(2))], CancellationToken.None);
        Assert.True(await ((ITraceStorePinning)store).SetPinnedAsync("old-pinned", true, CancellationToken.None));
    }

    [Fact]
    public async Task Pruning_removes_whole_traces_whose_newest_point_is_older_and_keeps_recent_pinned_and_still_written_ones()
    {
        await using var store = Open();
        await WriteOldAndRecentAsync(store);

        var result = await ((ITraceStorePruning)store).PruneAsync(At.AddHours(1), dryRun: false, CancellationToken.None);

        Assert.Equal(new PruneResult(2, 4), result);
        Assert.Equal(["long-running", "old-pinned", "recent"], await ListedAsync(store));
        var kept = 0;
        await foreach (var _ in store.ReadTraceAsync("long-running", CancellationToken.None)) kept++;
        Assert.Equal(2, kept);
        Assert.Equal(new PruneResult(0, 0), await ((ITraceStorePruning)store).PruneAsync(At.AddHours(1), dryRun: false, CancellationToken.None));
    }

    [Fact]
    public async Task A_dry_run_counts_what_pruning_would_remove_and_removes_nothing()
    {
        await using var store = Open();
        await WriteOldAndRecentAsync(store);

        var result = await ((ITraceStorePruning)store).PruneAsync(At.AddHours(1), dryRun: true, CancellationToken.None);

        Assert.Equal(new PruneResult(2, 4), result);
        Assert.Equal(["long-running", "old-1", "old-2", "old-pinned", "recent"], await ListedAsync(store));
    }

    [Fact]
    public async Task Unpinning_a_trace_lets_the_next_prune_remove_it()
    {
        await using var store = Open();
        await WriteOldAndRecentAsync(store);
        var pinning = (ITraceStorePinning)store;

        Assert.True(await pinning.SetPinnedAsync("old-pinned", false, CancellationToken.None));
        var result = await ((ITraceStorePruning)store).PruneAsync(At.AddHours(1), dryRun: false, CancellationToken.None);

        Assert.Equal(new PruneResult(3, 6), result);
        Assert.Empty(await pinning.ListPinnedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Pruning_more_traces_than_one_round_holds_removes_them_all_and_counts_them_exactly()
    {
        await using var store = Open();
        var traces = TraceLifecycle.TracesPerRound * 2 + 37;
        var points = Enumerable.Range(0, traces).SelectMany(i => Trace($"bulk-{i:D5}", At.AddMilliseconds(i))).ToList();
        await store.WriteAsync(points, CancellationToken.None);
        await store.WriteAsync(Trace("recent", At.AddDays(1)), CancellationToken.None);
        var pruning = (ITraceStorePruning)store;

        var dry = await pruning.PruneAsync(At.AddHours(1), dryRun: true, CancellationToken.None);
        var real = await pruning.PruneAsync(At.AddHours(1), dryRun: false, CancellationToken.None);

        Assert.Equal(new PruneResult(traces, traces * 2), dry);
        Assert.Equal(dry, real);
        Assert.Equal(["recent"], await ListedAsync(store));
    }

    [Fact]
    public async Task Pinning_a_trace_without_points_is_false_and_pins_nothing()
    {
        await using var store = Open();
        await store.WriteAsync(Trace("here", At), CancellationToken.None);
        var pinning = (ITraceStorePinning)store;

        Assert.False(await pinning.SetPinnedAsync("missing", true, CancellationToken.None));
        Assert.False(await pinning.SetPinnedAsync("../../etc", true, CancellationToken.None));
        Assert.False(await pinning.SetPinnedAsync("missing", false, CancellationToken.None));

        Assert.Empty(await pinning.ListPinnedAsync(CancellationToken.None));
        Assert.Equal(0, (await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None)).Pinned);
    }

    [Fact]
    public async Task Pinning_twice_keeps_one_pin_and_unpinning_removes_it()
    {
        await using var store = Open();
        await store.WriteAsync([.. Trace("a", At), .. Trace("b", At)], CancellationToken.None);
        var pinning = (ITraceStorePinning)store;

        Assert.True(await pinning.SetPinnedAsync("a", true, CancellationToken.None));
        Assert.True(await pinning.SetPinnedAsync("a", true, CancellationToken.None));
        Assert.True(await pinning.SetPinnedAsync("b", true, CancellationToken.None));
        Assert.Equal(["a", "b"], (await pinning.ListPinnedAsync(CancellationToken.None)).Order(StringComparer.Ordinal));

        Assert.True(await pinning.SetPinnedAsync("a", false, CancellationToken.None));
        Assert.True(await pinning.SetPinnedAsync("a", false, CancellationToken.None));
        Assert.Equal(["b"], await pinning.ListPinnedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_pinned_list_leaves_out_traces_that_are_gone()
    {
        await using var store = Open();
        await store.WriteAsync([.. Trace("kept", At), .. Trace("deleted", At)], CancellationToken.None);
        var pinning = (ITraceStorePinning)store;
        await pinning.SetPinnedAsync("kept", true, CancellationToken.None);
        await pinning.SetPinnedAsync("deleted", true, CancellationToken.None);

        Assert.Equal(1, await ((ITraceStoreCleanup)store).DeleteTracesAsync(["deleted"], CancellationToken.None));

        Assert.Equal(["kept"], await pinning.ListPinnedAsync(CancellationToken.None));
        Assert.Equal(1, (await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None)).Pinned);
        // A trace written again under the deleted id starts unpinned.
        await store.WriteAsync(Trace("deleted", At), CancellationToken.None);
        Assert.Equal(["kept"], await pinning.ListPinnedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Statistics_count_traces_points_the_time_span_bytes_and_pins()
    {
        await using var store = Open();
        await WriteOldAndRecentAsync(store);

        var stats = await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None);

        Assert.Equal((5, 10, 1), (stats.Traces, stats.Points, stats.Pinned));
        Assert.Equal(TraceTimestamp.FromDateTime(At).ToString(), stats.Oldest);
        Assert.Equal(TraceTimestamp.FromDateTime(At.AddHours(2).AddSeconds(1)).ToString(), stats.Newest);
        Assert.NotNull(stats.Bytes);
        Assert.True(stats.Bytes > 0, $"bytes: {stats.Bytes}");
    }

    [Fact]
    public async Task Statistics_of_an_empty_store_are_zero_without_a_time_span()
    {
        await using var store = Open();

        var stats = await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None);

        Assert.Equal((0L, 0L, (string?)null, (string?)null, 0L), (stats.Traces, stats.Points, stats.Oldest, stats.Newest, stats.Pinned));
    }

    [Fact]
    public async Task The_ttl_option_overrides_the_drivers_ttl_setting()
    {
        await using var fromOption = Open(new DriverSettings { Ttl = TimeSpan.FromDays(7) }, "ttl=12h");
        await using var fromSettings = Open(new DriverSettings { Ttl = TimeSpan.FromDays(7) });
        await using var none = Open();

        Assert.Equal(TimeSpan.FromHours(12), ((SqlTraceStore)fromOption).Ttl);
        Assert.Equal(TimeSpan.FromDays(7), ((SqlTraceStore)fromSettings).Ttl);
        Assert.Null(((SqlTraceStore)none).Ttl);
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("0")]
    [InlineData("-5m")]
    [InlineData("3651d")]
    public void A_ttl_option_that_is_no_duration_is_a_FormatException_naming_it(string ttl)
    {
        var e = Assert.Throws<FormatException>(() => Open(query: "ttl=" + Uri.EscapeDataString(ttl)));

        Assert.Contains($"ttl='{ttl}'", e.Message);
        Assert.Contains("90s", e.Message);
    }

    /// <summary>
    /// Constant ingest while a pruner removes, every (logical) second, everything older than two seconds: after each
    /// prune the store holds no more than the points of the last two seconds plus what was written meanwhile, every
    /// point written is either stored or counted as pruned, and the pinned (day-old) trace survives. Time is the
    /// points' own: batch <c>n</c> is stamped 100 ms after batch <c>n - 1</c>, and a prune round starts once ten more
    /// batches were written, so the bound does not depend on how much work a busy machine fits in a second.
    /// </summary>
    protected async Task IngestWithPruningKeepsTheStoreBoundedAsync()
    {
        const int TracesPerBatch = 10, PointsPerBatch = TracesPerBatch * 2, BatchesPerSecond = 10, Rounds = 15;
        await using var store = Open();
        var pruning = (ITraceStorePruning)store;
        var statistics = (ITraceStoreStatistics)store;
        var origin = DateTime.UtcNow.AddDays(-1);
        DateTime Started(long batch) => origin.AddMilliseconds(batch * 1000 / BatchesPerSecond);
        await store.WriteAsync(Trace("pinned", origin.AddDays(-1)), CancellationToken.None);
        await ((ITraceStorePinning)store).SetPinnedAsync("pinned", true, CancellationToken.None);
        using var stop = new CancellationTokenSource();
        long batches = 0; // written so far; batch n's traces start at Started(n) and end a second later
        var writer = Task.Run(async () =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                var at = Started(Interlocked.Read(ref batches));
                var batch = Enumerable.Range(0, TracesPerBatch).SelectMany(_ => Trace($"soak-{n++:D7}", at)).ToList();
                await store.WriteAsync(batch, CancellationToken.None);
                Interlocked.Increment(ref batches);
                await Task.Delay(10, CancellationToken.None); // a steady pace; nothing below depends on it
            }
        }, CancellationToken.None);
        long pruned = 0;
        for (var round = 0; round < Rounds; round++)
        {
            await Waiting.UntilAsync(() => writer.IsCompleted || Interlocked.Read(ref batches) >= (round + 1L) * BatchesPerSecond,
                $"{BatchesPerSecond} more batches for prune round {round}", state: () => $"{Interlocked.Read(ref batches)} batches written");
            if (writer.IsFaulted) await writer; // the writer's own failure, not a timeout
            var latest = Interlocked.Read(ref batches) - 1;
            // Two seconds before the newest point written (batch `latest` ends a second after it starts): the newest point
            // of batch `oldestKept`, so the batches before it, and only those, are older than the cutoff.
            var oldestKept = Math.Max(0, latest - 2 * BatchesPerSecond);
            var cutoff = Started(oldestKept).AddSeconds(1);
            pruned += (await pruning.PruneAsync(cutoff, dryRun: false, CancellationToken.None)).Points;
            var stats = await statistics.GetStatisticsAsync(CancellationToken.None);
            var allowed = (Interlocked.Read(ref batches) - oldestKept) * PointsPerBatch + 2;
            Assert.True(stats.Points <= allowed,
                $"round {round}: {stats.Points} points stored after pruning before batch {oldestKept} of {latest + 1}; " +
                $"at most {allowed} (the batches since, and the pinned trace) may be");
        }
        await stop.CancelAsync();
        await writer;
        var final = await statistics.GetStatisticsAsync(CancellationToken.None);

        var total = Interlocked.Read(ref batches) * PointsPerBatch + 2;
        Assert.True(pruned > 0, $"nothing was pruned of {total} points");
        Assert.Equal(total, final.Points + pruned);
        Assert.Equal(1, final.Pinned);
        Assert.Equal(["pinned"], await ((ITraceStorePinning)store).ListPinnedAsync(CancellationToken.None));
    }
}

/// <summary>The lifecycle on SQLite: a fresh database file per store.</summary>
public sealed class SqliteLifecycleTests : SqlLifecycleTests, IDisposable
{
    private readonly TempDirectory _dir = new();

    protected override ITraceStore Open(DriverSettings? settings = null, string? query = null) =>
        new SqliteDriver().Open(ConnectionString.Parse($"sqlite:///{_dir.Path}/{Guid.NewGuid():N}.db" + (query is null ? "" : "?" + query)),
            settings ?? new DriverSettings());

    [Fact]
    public Task Constant_ingest_with_a_prune_every_second_keeps_the_store_bounded() => IngestWithPruningKeepsTheStoreBoundedAsync();

    public void Dispose() => _dir.Dispose();
}

/// <summary>The lifecycle on a real MariaDB: a fresh database per store.</summary>
[Collection(MariaDbCollection.Name)]
public sealed class MariaDbLifecycleTests(MariaDbServer server) : SqlLifecycleTests
{
    protected override ITraceStore Open(DriverSettings? settings = null, string? query = null) =>
        new MySqlDriver().Open(ConnectionString.Parse(server.Url(server.CreateDatabase(), query: query)), settings ?? new DriverSettings());

    [Fact]
    public Task Constant_ingest_with_a_prune_every_second_keeps_the_store_bounded() => IngestWithPruningKeepsTheStoreBoundedAsync();
}

/// <summary>The lifecycle on a real PostgreSQL: a fresh database per store.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresLifecycleTests(PostgresServer server) : SqlLifecycleTests
{
    protected override ITraceStore Open(DriverSettings? settings = null, string? query = null) =>
        new PostgresDriver().Open(ConnectionString.Parse(server.Url(server.CreateDatabase(), query: query)), settings ?? new DriverSettings());

    [Fact]
    public Task Constant_ingest_with_a_prune_every_second_keeps_the_store_bounded() => IngestWithPruningKeepsTheStoreBoundedAsync();
}
