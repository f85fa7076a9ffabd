using Microsoft.Data.Sqlite;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using static Profiler.Infrastructure.Sql.Tests.SqlServerTestKit;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>The embedded store's write path: concurrent batches sharing commits, and checkpoints off the writer's path.</summary>
public sealed class SqliteWriteTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string File => Path.Combine(_dir.Path, "write.db");

    private ITraceStore Open() => new SqliteDriver().Open(ConnectionString.Parse($"sqlite:///{File}"), new DriverSettings());

    private long Scalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={File};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(command.ExecuteScalar());
    }

    [Fact]
    public async Task Concurrent_batches_are_each_committed_whole_and_a_failing_one_fails_alone()
    {
        await using var store = Open();
        await store.WriteAsync(Points("warm-up", 2), CancellationToken.None);
        // The database refuses one trace's rows: that batch must fail by itself, whatever it shares a commit with.
        using (var connection = new SqliteConnection($"Data Source={File};Pooling=False"))
        {
            connection.Open();
            using var trigger = connection.CreateCommand();
            trigger.CommandText = "CREATE TRIGGER refuse BEFORE INSERT ON data WHEN NEW.base_id = 'refused' BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END;";
            trigger.ExecuteNonQuery();
        }

        var batches = Enumerable.Range(0, 40).Select(i => i == 17 ? Points("refused", 500) : Points($"ok-{i}", 500)).ToList();
        var writes = batches.Select(b => Task.Run(() => store.WriteAsync(b, CancellationToken.None))).ToList();
        var outcomes = await Task.WhenAll(writes.Select(async w =>
        {
            try
            {
                await w;
                return null;
            }
            catch (TraceStoreException e)
            {
                return e;
            }
        }));

        Assert.All(outcomes.Where((_, i) => i != 17), Assert.Null);
        Assert.Contains("refused by a test trigger", outcomes[17]!.Message);
        Assert.Equal(39 * 500 + 2, Scalar("SELECT COUNT(*) FROM data"));
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM data WHERE base_id = 'refused'"));
        for (var i = 0; i < 40; i++)
            if (i != 17) Assert.Equal(500, Scalar($"SELECT COUNT(*) FROM data WHERE base_id = 'ok-{i}'"));
    }

    [Fact]
    public async Task A_cancelled_write_that_no_commit_took_yet_stores_nothing()
    {
        await using var store = Open();
        await store.WriteAsync(Points("warm-up", 2), CancellationToken.None);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync(Points("cancelled", 10), cancelled.Token));

        await store.WriteAsync(Points("after", 2), CancellationToken.None);
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM data WHERE base_id = 'cancelled'"));
        Assert.Equal(2, Scalar("SELECT COUNT(*) FROM data WHERE base_id = 'after'"));
    }

    [Fact]
    public async Task A_database_that_refuses_the_summary_tables_still_stores_and_lists_the_points()
    {
        // A view named like the summary table: CREATE TABLE IF NOT EXISTS passes over it, and indexing it fails, so
        // the summary tables cannot be made, and the view cannot be written either.
        using (var connection = new SqliteConnection($"Data Source={File};Pooling=False"))
        {
            connection.Open();
            using var view = connection.CreateCommand();
            view.CommandText = "CREATE VIEW profiler_traces AS SELECT 'not-a-trace' AS base_id";
            view.ExecuteNonQuery();
        }
        await using var store = Open();

        await store.WriteAsync(Points("kept", 4), CancellationToken.None);
        await store.WriteAsync(Points("kept-too", 2), CancellationToken.None);

        Assert.Equal(4, Scalar("SELECT COUNT(*) FROM data WHERE base_id = 'kept'"));
        Assert.Equal(2, Scalar("SELECT COUNT(*) FROM data WHERE base_id = 'kept-too'"));
        var page = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);
        Assert.Equal(["kept", "kept-too"], page.Traces.Select(t => t.BaseId).Order(StringComparer.Ordinal));
        // Search needs the summaries: it says which tables are missing instead.
        var search = await Assert.ThrowsAsync<TraceStoreException>(() =>
            store.ListTracesAsync(new TraceListQuery(10) { Filter = new TraceFilter { Service = "s" } }, CancellationToken.None));
        Assert.Contains("profiler_traces", search.Message);
        Assert.Equal(0, Scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'profiler_summary_state'"));
    }

    [Fact]
    public async Task A_long_run_of_writes_is_checkpointed_into_the_database_file_in_the_background()
    {
        var rows = SqliteTraceWriter.CheckpointAfterRows + 10_000;
        await using (var store = Open())
        {
            for (var written = 0; written < rows; written += 5_000)
                await store.WriteAsync(Points($"run-{written}", 5_000), CancellationToken.None);
            // Disposing waits for the checkpoint the writes started (the pooled connection keeps the log open).
        }

        // Without a checkpoint every page would still be in the log, and the database file would hold only the schema.
        var pages = Scalar("PRAGMA page_count");
        Assert.True(new FileInfo(File).Length > 10L << 20,
            $"database file is {new FileInfo(File).Length} bytes ({pages} pages) after {rows} rows: no checkpoint copied the log into it");
        Assert.Equal(rows, Scalar("SELECT COUNT(*) FROM data"));
    }
}
