using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>
/// Base ids that differ only in case are two traces on every SQL server: reading, deleting and pinning tell <c>Req-1</c>
/// and <c>req-1</c> apart, and pruning never removes one with the other (<see cref="ScansTellTwinsApart"/>). On MySQL/MariaDB the <c>data</c> table takes the database's
/// collation (OSProfiler's schema sets none), which ignores case; these tests run on a utf8mb4 database, as
/// OSProfiler's deployments have.
/// </summary>
public abstract class BaseIdCaseTests
{
    private static readonly DateTime At = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    /// <summary>A store over a fresh, empty database.</summary>
    protected abstract ITraceStore Open();

    /// <summary>
    /// Whether the whole-table scans (pruning's candidates, the statistics' trace count) tell the ids apart too. Not on
    /// MySQL/MariaDB, where they compare as the table does for their index's sake: pruning keeps an old trace whose id
    /// differs only in case from a recent or pinned one (never removes the other), and statistics count the two once.
    /// </summary>
    protected virtual bool ScansTellTwinsApart => true;

    private static TracePoint Point(string baseId, string name, string traceId, DateTime at) => new()
    {
        Name = name, BaseId = baseId, TraceId = traceId, ParentId = baseId,
        Timestamp = TraceTimestamp.FromDateTime(at).ToString(), Info = new JsonObject { ["host"] = "node-1" },
    };

    /// <summary><paramref name="operations"/> operations (a start and a stop each) of one trace from <paramref name="start"/>.</summary>
    private static IEnumerable<TracePoint> Trace(string baseId, int operations, DateTime start) =>
        Enumerable.Range(0, operations).SelectMany(i => new[]
        {
            Point(baseId, "op-start", $"{baseId}-op{i}", start.AddSeconds(2 * i)),
            Point(baseId, "op-stop", $"{baseId}-op{i}", start.AddSeconds(2 * i + 1)),
        });

    private static async Task<List<string>> TraceIdsAsync(ITraceStore store, string baseId)
    {
        var ids = new List<string>();
        await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None)) ids.Add(p.TraceId);
        return ids;
    }

    /// <summary>Two traces whose ids differ only in case: <c>Req-1</c> (1 operation, 2 points) and <c>req-1</c> (2 operations, 4 points).</summary>
    private static Task WriteTwinsAsync(ITraceStore store, DateTime upper, DateTime lower) =>
        store.WriteAsync([.. Trace("Req-1", 1, upper), .. Trace("req-1", 2, lower)], CancellationToken.None);

    [Fact]
    public async Task Reading_a_trace_gives_its_own_points_and_none_of_a_trace_whose_id_differs_only_in_case()
    {
        await using var store = Open();
        await WriteTwinsAsync(store, At, At);

        Assert.Equal(["Req-1-op0", "Req-1-op0"], await TraceIdsAsync(store, "Req-1"));
        Assert.Equal(["req-1-op0", "req-1-op0", "req-1-op1", "req-1-op1"], await TraceIdsAsync(store, "req-1"));
        Assert.Empty(await TraceIdsAsync(store, "REQ-1"));
    }

    [Fact]
    public async Task Deleting_a_trace_leaves_the_trace_whose_id_differs_only_in_case()
    {
        await using var store = Open();
        await WriteTwinsAsync(store, At, At);
        var cleanup = (ITraceStoreCleanup)store;

        Assert.Equal(0, await cleanup.DeleteTracesAsync(["REQ-1"], CancellationToken.None));
        Assert.Equal(1, await cleanup.DeleteTracesAsync(["Req-1"], CancellationToken.None));

        Assert.Empty(await TraceIdsAsync(store, "Req-1"));
        Assert.Equal(4, (await TraceIdsAsync(store, "req-1")).Count);
        var statistics = await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None);
        Assert.Equal((1, 4), (statistics.Traces, statistics.Points));
    }

    [Fact]
    public async Task Deleting_both_traces_whose_ids_differ_only_in_case_counts_two()
    {
        await using var store = Open();
        await WriteTwinsAsync(store, At, At);

        Assert.Equal(2, await ((ITraceStoreCleanup)store).DeleteTracesAsync(["Req-1", "req-1"], CancellationToken.None));

        Assert.Empty(await TraceIdsAsync(store, "req-1"));
    }

    [Fact]
    public async Task Pinning_a_trace_pins_it_alone_and_an_id_that_only_differs_in_case_from_a_stored_one_pins_nothing()
    {
        await using var store = Open();
        await WriteTwinsAsync(store, At, At);
        var pinning = (ITraceStorePinning)store;

        Assert.True(await pinning.SetPinnedAsync("Req-1", true, CancellationToken.None));
        Assert.False(await pinning.SetPinnedAsync("REQ-1", true, CancellationToken.None));
        Assert.Equal(["Req-1"], await pinning.ListPinnedAsync(CancellationToken.None));

        Assert.True(await pinning.SetPinnedAsync("req-1", true, CancellationToken.None));
        Assert.Equal(["Req-1", "req-1"], (await pinning.ListPinnedAsync(CancellationToken.None)).Order(StringComparer.Ordinal));
        Assert.Equal(2, (await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None)).Pinned);

        Assert.True(await pinning.SetPinnedAsync("Req-1", false, CancellationToken.None));
        Assert.Equal(["req-1"], await pinning.ListPinnedAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Pruning_keeps_a_recent_trace_whatever_an_old_one_whose_id_differs_only_in_case()
    {
        await using var store = Open();
        await WriteTwinsAsync(store, At, At.AddHours(2));
        var pruning = (ITraceStorePruning)store;
        var expected = ScansTellTwinsApart ? new PruneResult(1, 2) : new PruneResult(0, 0);

        Assert.Equal(expected, await pruning.PruneAsync(At.AddHours(1), dryRun: true, CancellationToken.None));
        Assert.Equal(expected, await pruning.PruneAsync(At.AddHours(1), dryRun: false, CancellationToken.None));

        Assert.Equal(4, (await TraceIdsAsync(store, "req-1")).Count);
        Assert.Equal(ScansTellTwinsApart ? 0 : 2, (await TraceIdsAsync(store, "Req-1")).Count);
    }

    [Fact]
    public async Task Pruning_keeps_a_pinned_trace_whatever_an_old_one_whose_id_differs_only_in_case()
    {
        await using var store = Open();
        await WriteTwinsAsync(store, At, At);
        Assert.True(await ((ITraceStorePinning)store).SetPinnedAsync("req-1", true, CancellationToken.None));

        Assert.Equal(ScansTellTwinsApart ? new PruneResult(1, 2) : new PruneResult(0, 0),
            await ((ITraceStorePruning)store).PruneAsync(At.AddHours(1), dryRun: false, CancellationToken.None));

        Assert.Equal(4, (await TraceIdsAsync(store, "req-1")).Count);
        Assert.Equal(ScansTellTwinsApart ? 0 : 2, (await TraceIdsAsync(store, "Req-1")).Count);
    }

    [Fact]
    public async Task Pruning_removes_both_of_two_old_unpinned_traces_whose_ids_differ_only_in_case()
    {
        await using var store = Open();
        await WriteTwinsAsync(store, At, At.AddMinutes(1));
        var pinning = (ITraceStorePinning)store;
        Assert.True(await pinning.SetPinnedAsync("req-1", true, CancellationToken.None));
        Assert.True(await pinning.SetPinnedAsync("req-1", false, CancellationToken.None));

        var result = await ((ITraceStorePruning)store).PruneAsync(At.AddHours(1), dryRun: false, CancellationToken.None);

        Assert.Equal(6, result.Points);
        Assert.Empty(await TraceIdsAsync(store, "Req-1"));
        Assert.Empty(await TraceIdsAsync(store, "req-1"));
    }

    [Fact]
    public async Task Statistics_count_every_point_of_traces_whose_ids_differ_only_in_case()
    {
        await using var store = Open();
        await WriteTwinsAsync(store, At, At);

        var statistics = await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None);

        Assert.Equal((ScansTellTwinsApart ? 2 : 1, 6), (statistics.Traces, statistics.Points));
    }
}

/// <summary>On SQLite, whose text comparison is exact.</summary>
public sealed class SqliteBaseIdCaseTests : BaseIdCaseTests, IDisposable
{
    private readonly TempDirectory _dir = new();

    protected override ITraceStore Open() =>
        new SqliteDriver().Open(ConnectionString.Parse($"sqlite:///{_dir.Path}/{Guid.NewGuid():N}.db"), new DriverSettings());

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// On a real MariaDB with a utf8mb4 database: its default collation ignores case. Each test starts and ends with the
/// process's idle MySQL connections closed: every store has pools of its own, which a disposed store leaves open for
/// minutes, and the collection's tests (serial) would otherwise reach the server's connection limit.
/// </summary>
[Collection(MariaDbCollection.Name)]
public sealed class MariaDbBaseIdCaseTests : BaseIdCaseTests, IDisposable
{
    private readonly MariaDbServer _server;
    private string? _database;

    public MariaDbBaseIdCaseTests(MariaDbServer server)
    {
        _server = server;
        MySqlConnector.MySqlConnection.ClearAllPools();
    }

    public void Dispose() => MySqlConnector.MySqlConnection.ClearAllPools();

    protected override bool ScansTellTwinsApart => false;

    protected override ITraceStore Open()
    {
        _database = _server.CreateDatabase();
        return new MySqlDriver().Open(ConnectionString.Parse(_server.Url(_database)), new DriverSettings());
    }

    [Fact]
    public void The_test_database_compares_text_ignoring_case_as_OSProfilers_do()
    {
        var database = _server.CreateDatabase();

        Assert.Equal("1", _server.Admin("SELECT 'Req-1' = 'req-1'", database).Trim());
    }

    [Fact]
    public async Task A_pin_table_whose_key_ignores_case_makes_pinning_a_twin_an_error_that_says_how_to_make_the_key_exact()
    {
        await using var store = Open();
        // A pin table as an older Profiler made it: the database's collation, which ignores case.
        _server.Admin("CREATE TABLE profiler_pins (base_id varchar(255) NOT NULL, pinned_at varchar(26) NOT NULL, PRIMARY KEY (base_id))", _database);
        await store.WriteAsync([.. Trace("Req-1"), .. Trace("req-1")], CancellationToken.None);
        var pinning = (ITraceStorePinning)store;
        Assert.True(await pinning.SetPinnedAsync("Req-1", true, CancellationToken.None));

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => pinning.SetPinnedAsync("req-1", true, CancellationToken.None));

        SqlServerTestKit.AssertMessage(e, "'req-1'");
        SqlServerTestKit.AssertMessage(e, "ALTER TABLE profiler_pins MODIFY base_id varchar(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL");
        _server.Admin("ALTER TABLE profiler_pins MODIFY base_id varchar(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL", _database);
        Assert.True(await pinning.SetPinnedAsync("req-1", true, CancellationToken.None));
        Assert.Equal(["Req-1", "req-1"], (await pinning.ListPinnedAsync(CancellationToken.None)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task On_a_latin1_table_as_OSProfiler_makes_it_on_older_servers_twins_stay_apart_too()
    {
        // OSProfiler's table takes the database's character set, latin1 (latin1_swedish_ci) by default on MariaDB before
        // 11.6 and MySQL 5.7: a utf8mb4 collation (COLLATE utf8mb4_bin) could not be used on its columns; the
        // comparison on the bytes can.
        await using var store = Open();
        await store.WriteAsync([.. Trace("Req-1"), .. Trace("req-1"), .. Trace("req-1-other")], CancellationToken.None);
        _server.Admin("ALTER TABLE data CONVERT TO CHARACTER SET latin1", _database);
        Assert.Equal("latin1", _server.Admin(
            $"SELECT character_set_name FROM information_schema.columns WHERE table_schema = '{_database}' AND table_name = 'data' AND column_name = 'base_id'").Trim());

        Assert.True(await ((ITraceStorePinning)store).SetPinnedAsync("req-1", true, CancellationToken.None));
        Assert.Equal(1, await ((ITraceStoreCleanup)store).DeleteTracesAsync(["Req-1"], CancellationToken.None));

        var left = new List<string>();
        await foreach (var p in store.ReadTraceAsync("req-1", CancellationToken.None)) left.Add(p.TraceId);
        Assert.Equal(["req-1-op", "req-1-op"], left);
        Assert.Equal(["req-1"], await ((ITraceStorePinning)store).ListPinnedAsync(CancellationToken.None));
        Assert.Equal(2, (await ((ITraceStoreStatistics)store).GetStatisticsAsync(CancellationToken.None)).Traces);
        Assert.Equal(new PruneResult(1, 2), await ((ITraceStorePruning)store).PruneAsync(DateTime.UtcNow, dryRun: false, CancellationToken.None));
    }

    private static TracePoint[] Trace(string baseId) =>
    [
        new() { Name = "op-start", BaseId = baseId, TraceId = baseId + "-op", ParentId = baseId, Timestamp = "2026-03-04T05:06:07.000000", Info = new JsonObject { ["host"] = "h" } },
        new() { Name = "op-stop", BaseId = baseId, TraceId = baseId + "-op", ParentId = baseId, Timestamp = "2026-03-04T05:06:08.000000", Info = new JsonObject { ["host"] = "h" } },
    ];
}

/// <summary>On a real PostgreSQL, whose text comparison is exact.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresBaseIdCaseTests(PostgresServer server) : BaseIdCaseTests
{
    protected override ITraceStore Open() =>
        new PostgresDriver().Open(ConnectionString.Parse(server.Url(server.CreateDatabase())), new DriverSettings());
}
