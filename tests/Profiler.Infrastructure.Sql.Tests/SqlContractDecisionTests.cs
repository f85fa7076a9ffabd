using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>
/// The contract decisions every SQL server must keep alike: cursors only this driver gave out (D1), the earliest
/// point on a timestamp tie (D3), the point's own host over the driver's (D4), error listing without
/// <see cref="DriverSettings.FilterErrorTrace"/> (D5). One derived class a backend supplies the store.
/// </summary>
public abstract class SqlContractDecisionTests
{
    private static readonly DateTime At = new(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc);

    /// <summary>A store over a fresh, empty database.</summary>
    protected abstract ITraceStore Open(DriverSettings settings);

    private static TracePoint Point(string baseId, string name, int ms, JsonObject? info = null) => new()
    {
        Name = name, BaseId = baseId, TraceId = $"{baseId}-{name}", ParentId = baseId,
        Timestamp = TraceTimestamp.FromDateTime(At.AddMilliseconds(ms)).ToString(), Info = info ?? new JsonObject(),
    };

    private static async Task<List<StoredPoint>> ReadAsync(ITraceStore store, string baseId)
    {
        var points = new List<StoredPoint>();
        await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None)) points.Add(p);
        return points;
    }

    public static TheoryData<string> ForeignCursors() => new(
        "garbage",
        "",
        // Redis's cursor, and this driver's own before D1: timestamp|base id.
        "2026-03-04T05:06:07.000000|trace-1",
        "sql1.",
        "sql1.MjAyNg.dHJhY2U.AAAAAAAA",
        new string('x', 500));

    [Theory]
    [MemberData(nameof(ForeignCursors))]
    public async Task A_cursor_the_driver_did_not_give_out_is_a_FormatException_naming_it(string cursor)
    {
        await using var store = Open(new DriverSettings());
        await store.WriteAsync([Point("trace-1", "op-start", 0)], CancellationToken.None);

        var e = await Assert.ThrowsAsync<FormatException>(() => store.ListTracesAsync(new TraceListQuery(1, cursor), CancellationToken.None));

        Assert.Contains($"'{TracePointRules.Show(cursor)}'", e.Message);
    }

    [Fact]
    public async Task A_cursor_the_driver_gave_out_but_edited_is_a_FormatException()
    {
        await using var store = Open(new DriverSettings());
        await store.WriteAsync([Point("trace-1", "op-start", 0), Point("trace-2", "op-start", 1)], CancellationToken.None);
        var cursor = (await store.ListTracesAsync(new TraceListQuery(1), CancellationToken.None)).NextCursor;
        Assert.NotNull(cursor);
        var position = cursor.IndexOf('.') + 2;
        var edited = cursor[..position] + (cursor[position] == 'A' ? 'B' : 'A') + cursor[(position + 1)..];

        var next = await store.ListTracesAsync(new TraceListQuery(1, cursor), CancellationToken.None);
        await Assert.ThrowsAsync<FormatException>(() => store.ListTracesAsync(new TraceListQuery(1, edited), CancellationToken.None));

        Assert.Equal(["trace-1"], next.Traces.Select(t => t.BaseId));
    }

    [Fact]
    public async Task On_equal_timestamps_the_point_stored_first_is_the_earliest()
    {
        await using var store = Open(new DriverSettings());
        // Names against their storage order, so that neither name nor trace id order can stand in for it.
        await store.WriteAsync([Point("tie", "zeta-start", 5, new JsonObject { ["host"] = "first" })], CancellationToken.None);
        await store.WriteAsync([Point("tie", "alpha-start", 5, new JsonObject { ["host"] = "second" }),
            Point("tie", "alpha-stop", 6)], CancellationToken.None);

        var trace = Assert.Single((await store.ListTracesAsync(new TraceListQuery(10, Fields: ["name", "host"]), CancellationToken.None)).Traces);

        Assert.Equal(("zeta-start", "first"), (trace.Fields["name"], trace.Fields["host"]));
        Assert.Equal(TraceTimestamp.FromDateTime(At.AddMilliseconds(5)).ToString(), trace.Timestamp);
    }

    [Fact]
    public async Task The_point_with_the_smallest_timestamp_is_the_earliest_whenever_it_was_stored()
    {
        await using var store = Open(new DriverSettings());
        await store.WriteAsync([Point("late", "b-start", 9), Point("late", "a-start", 3), Point("late", "c-start", 3)], CancellationToken.None);

        var trace = Assert.Single((await store.ListTracesAsync(new TraceListQuery(10, Fields: ["name"]), CancellationToken.None)).Traces);

        Assert.Equal("a-start", trace.Fields["name"]);
        Assert.Equal(TraceTimestamp.FromDateTime(At.AddMilliseconds(3)).ToString(), trace.Timestamp);
    }

    [Fact]
    public async Task A_points_own_host_wins_over_the_drivers_host_which_fills_in_points_without_one()
    {
        await using var store = Open(new DriverSettings { Host = "settings-host" });
        await store.WriteAsync(
        [
            Point("hosts", "own-start", 0, new JsonObject { ["host"] = "point-host" }),
            Point("hosts", "none-start", 1),
            Point("hosts", "odd-start", 2, new JsonObject { ["host"] = 42 }),
        ], CancellationToken.None);

        var points = await ReadAsync(store, "hosts");

        Assert.Equal(["point-host", "settings-host", "settings-host"], points.Select(p => p.Host));
        var listed = Assert.Single((await store.ListTracesAsync(new TraceListQuery(10, Fields: ["host"]), CancellationToken.None)).Traces);
        Assert.Equal("point-host", listed.Fields["host"]);
    }

    [Fact]
    public async Task Without_a_host_of_its_own_or_a_setting_a_point_has_none()
    {
        await using var store = Open(new DriverSettings());
        await store.WriteAsync([Point("no-host", "op-start", 0)], CancellationToken.None);

        Assert.Null(Assert.Single(await ReadAsync(store, "no-host")).Host);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Error_traces_are_listed_whether_or_not_FilterErrorTrace_is_set(bool filterErrorTrace)
    {
        await using var store = Open(new DriverSettings { FilterErrorTrace = filterErrorTrace });
        await store.WriteAsync(
        [
            Point("fine", "op-start", 0), Point("fine", "op-stop", 1),
            Point("failed", "op-start", 2), Point("failed", "op-stop", 3, new JsonObject { ["etype"] = "ValueError", ["message"] = "boom" }),
        ], CancellationToken.None);

        var errors = await store.ListTracesAsync(new TraceListQuery(10, ErrorsOnly: true), CancellationToken.None);

        Assert.Equal(["failed"], errors.Traces.Select(t => t.BaseId));
    }
}

/// <summary>The decisions on SQLite: a fresh database file per store.</summary>
public sealed class SqliteContractDecisionTests : SqlContractDecisionTests, IDisposable
{
    private readonly TempDirectory _dir = new();

    protected override ITraceStore Open(DriverSettings settings) =>
        new SqliteDriver().Open(ConnectionString.Parse($"sqlite:///{_dir.Path}/{Guid.NewGuid():N}.db"), settings);

    public void Dispose() => _dir.Dispose();
}

/// <summary>The decisions on a real MariaDB: a fresh database per store.</summary>
[Collection(MariaDbCollection.Name)]
public sealed class MariaDbContractDecisionTests(MariaDbServer server) : SqlContractDecisionTests
{
    protected override ITraceStore Open(DriverSettings settings) =>
        new MySqlDriver().Open(ConnectionString.Parse(server.Url(server.CreateDatabase())), settings);
}

/// <summary>The decisions on a real PostgreSQL: a fresh database per store.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresContractDecisionTests(PostgresServer server) : SqlContractDecisionTests
{
    protected override ITraceStore Open(DriverSettings settings) =>
        new PostgresDriver().Open(ConnectionString.Parse(server.Url(server.CreateDatabase())), settings);
}
