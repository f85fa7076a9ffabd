using Microsoft.Data.Sqlite;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using static Profiler.Infrastructure.Sql.Tests.SqlServerTestKit;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>
/// A passing failure while checking or creating the summary tables (another connection's lock) does not turn search off
/// for the process: the next use tries again. Points stored without their summary are summarised again by the next
/// search. The lock is let go by the test itself, never on a clock.
/// </summary>
public sealed class SqliteSummaryRetryTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string File => Path.Combine(_dir.Path, "search.db");

    private SqlTraceStore Open(string query = "") =>
        (SqlTraceStore)new SqliteDriver().Open(ConnectionString.Parse($"sqlite:///{File}{query}"), new DriverSettings());

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection($"Data Source={File};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Run(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static TraceListQuery Service(string service) => new(10) { Filter = new TraceFilter(Service: service) };

    [Fact]
    public async Task A_lock_held_while_the_summary_tables_are_created_fails_that_search_only_and_the_next_one_creates_them()
    {
        await using (var first = Open())
            await first.WriteAsync(Points("before", 2), CancellationToken.None);
        using (var connection = Connect())
            Run(connection, $"DROP TABLE {SummarySql.Traces}; DROP TABLE {SummarySql.Terms}; DROP TABLE {SummarySql.State};");
        SqliteConnection.ClearAllPools();

        await using var store = Open("?timeout=1");
        var holder = Connect();
        Run(holder, "BEGIN IMMEDIATE; DELETE FROM data WHERE id < 0;");
        var locked = await Assert.ThrowsAsync<TraceStoreException>(() => store.CountTracesAsync(Service("s"), CancellationToken.None));
        holder.Dispose();

        AssertMessage(locked, "the next search tries again");
        Assert.DoesNotContain("Grant CREATE", locked.Message);
        Assert.Equal(1, await store.CountTracesAsync(Service("s"), CancellationToken.None));
        await store.WriteAsync(Points("after", 2), CancellationToken.None);
        Assert.Equal(2, await store.CountTracesAsync(Service("s"), CancellationToken.None));
        Assert.Equal(2, (await store.ListTracesAsync(Service("s"), CancellationToken.None)).Traces.Count);
    }

    [Fact]
    public async Task A_trace_some_of_whose_points_were_stored_without_their_summary_is_summarised_again_by_the_next_search()
    {
        await using var store = Open();
        await store.WriteAsync(Points("grown", 2), CancellationToken.None);
        Assert.Equal(1, await store.CountTracesAsync(Service("s"), CancellationToken.None));
        // More points of the same trace, stored without a summary (as OSProfiler, or a writer that found the summary
        // tables unavailable, does): the trace already has a summary, which no longer tells the whole trace.
        var later = Points("grown", 2, name: "rpc").Select(p => new TracePoint
        {
            Name = p.Name, BaseId = p.BaseId, TraceId = p.TraceId + "-later", ParentId = p.ParentId, Timestamp = p.Timestamp,
            Info = p.Info, Project = p.Project, Service = "later-service",
        }).ToList();
        await OsProfilerRows.InsertAsync($"sqlite:///{File}", later);

        Assert.Equal(1, await store.CountTracesAsync(Service("later-service"), CancellationToken.None));
        Assert.Equal(1, await store.CountTracesAsync(new TraceListQuery(10) { Filter = new TraceFilter(Name: "rpc") }, CancellationToken.None));
        var listed = await store.ListTracesAsync(Service("s"), CancellationToken.None);
        Assert.Equal(["later-service", "s"], listed.Traces.Single().Services);
    }
}
