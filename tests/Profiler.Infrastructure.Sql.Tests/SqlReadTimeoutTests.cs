using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Data.Sqlite;
using MySqlConnector;
using Npgsql;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using static Profiler.Infrastructure.Sql.Tests.SqlServerTestKit;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>
/// Issue 14 item 4 against real databases: a read that runs out of the command timeout (here a 3 s timeout and table
/// <c>data</c> held locked by another session) is sent once more on a fresh connection, with one warning; a second
/// timeout fails naming the URL option that raises the timeout and its value, never the password. The lock is let go
/// from the warning itself (the driver logs it before it retries), so no test waits on the clock.
/// </summary>
public abstract class SqlReadTimeoutTests
{
    /// <summary>The reads a person waits on (the CLI's <c>trace show/list</c>, the web shell).</summary>
    public enum Read { List, Search, Count, Trace, Pins, Statistics }

    public static TheoryData<Read> Reads => new(Enum.GetValues<Read>());

    /// <summary>
    /// The stores' command timeout: each locked attempt waits it out, and the read sent again after the lock is let go
    /// must finish within it, which a loaded CI machine can stretch for a single query well past a second.
    /// </summary>
    private const int Seconds = 3;

    /// <summary>A new database (or file) the test user owns, and the store's URL on it with <paramref name="query"/>.</summary>
    protected abstract string NewStoreUrl(string query);

    /// <summary>The URL option that sets the command timeout.</summary>
    protected abstract string TimeoutOption { get; }

    /// <summary>The test user's password, which no message may show.</summary>
    protected abstract string Password { get; }

    /// <summary>Holds table <c>data</c> of <paramref name="url"/>'s database locked from another session until released.</summary>
    protected abstract Task<TableLock> LockDataAsync(string url);

    /// <summary>Drops table <c>data</c> of <paramref name="url"/>'s database behind the store's back.</summary>
    protected abstract Task DropDataAsync(string url);

    protected abstract ITraceStoreDriver Driver { get; }

    /// <summary>Another session's lock on table <c>data</c>; <see cref="Release"/> lets it go (synchronously), once.</summary>
    protected sealed class TableLock(DbConnection connection, Action<DbConnection> release) : IAsyncDisposable
    {
        private int _released;

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) release(connection);
        }

        public async ValueTask DisposeAsync()
        {
            Release();
            await connection.DisposeAsync();
        }
    }

    /// <summary>Every line the store logs; runs <see cref="OnRetry"/> when the store says it will retry a timed-out read.</summary>
    private sealed class Logs : ILoggerFactory, ILogger
    {
        public readonly ConcurrentQueue<(LogLevel Level, string Text)> Lines = new();
        public Action? OnRetry { get; set; }

        public IEnumerable<string> Retries => Lines.Where(l => l.Text.Contains("trying once more", StringComparison.Ordinal)).Select(l => l.Text);

        public ILogger CreateLogger(string categoryName) => this;
        public void AddProvider(ILoggerProvider provider) { }
        public void Dispose() { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = formatter(state, exception);
            Lines.Enqueue((logLevel, text));
            if (text.Contains("trying once more", StringComparison.Ordinal)) OnRetry?.Invoke();
        }
    }

    private ITraceStore Open(string url, Logs logs) => Driver.Open(ConnectionString.Parse(url), new DriverSettings { LoggerFactory = logs });

    /// <summary>
    /// A store with a <see cref="Seconds"/> s timeout on a database holding two traces, one pinned (stored through the default timeout, so
    /// that creating the tables on a loaded machine does not run out of it). Each test reads through it once before it
    /// locks the table, and forgets what that logged: the store has checked its tables by then.
    /// </summary>
    private async Task<(ITraceStore Store, string Url, Logs Logs)> PrepareAsync()
    {
        var url = NewStoreUrl($"{TimeoutOption}={Seconds}");
        await using (var setup = Driver.Open(ConnectionString.Parse(url.Replace($"{TimeoutOption}={Seconds}", $"{TimeoutOption}=30", StringComparison.Ordinal)), new DriverSettings()))
        {
            await setup.WriteAsync(Points("first", 4), CancellationToken.None);
            await setup.WriteAsync(Points("second", 2, name: "rpc"), CancellationToken.None);
            Assert.True(await ((ITraceStorePinning)setup).SetPinnedAsync("first", true, CancellationToken.None));
        }
        var logs = new Logs();
        return (Open(url, logs), url, logs);
    }

    /// <summary><paramref name="read"/> once before the table is locked: what it must find, and the store's tables checked.</summary>
    private static async Task<string> WarmUpAsync(ITraceStore store, Logs logs, Read read)
    {
        var expected = await RunAsync(store, read);
        logs.Lines.Clear();
        return expected;
    }

    /// <summary>Runs <paramref name="read"/> and returns what it found, as text to compare.</summary>
    private static async Task<string> RunAsync(ITraceStore store, Read read)
    {
        var none = CancellationToken.None;
        switch (read)
        {
            case Read.List:
                var page = await store.ListTracesAsync(new TraceListQuery(10), none);
                return string.Join(",", page.Traces.Select(t => t.BaseId));
            case Read.Search:
                var found = await store.ListTracesAsync(new TraceListQuery(10) { Filter = new TraceFilter { Service = "s" } }, none);
                return string.Join(",", found.Traces.Select(t => t.BaseId).Order());
            case Read.Count:
                return (await ((ITraceStoreSearch)store).CountTracesAsync(new TraceListQuery(10) { Filter = new TraceFilter { Service = "s" } }, none)).ToString();
            case Read.Trace:
                var names = new List<string>();
                await foreach (var p in store.ReadTraceAsync("first", none)) names.Add(p.Name ?? "");
                return string.Join(",", names);
            case Read.Pins:
                return string.Join(",", await ((ITraceStorePinning)store).ListPinnedAsync(none));
            default:
                var s = await ((ITraceStoreStatistics)store).GetStatisticsAsync(none);
                return $"{s.Traces} traces, {s.Points} points, {s.Pinned} pinned";
        }
    }

    [Theory]
    [MemberData(nameof(Reads))]
    public async Task A_read_that_times_out_once_is_sent_again_and_returns_what_is_stored(Read read)
    {
        var (store, url, logs) = await PrepareAsync();
        await using var _ = store;
        var expected = await WarmUpAsync(store, logs, read);
        await using var locked = await LockDataAsync(url);
        logs.OnRetry = locked.Release;

        var found = await RunAsync(store, read);

        Assert.Equal(expected, found);
        var retry = Assert.Single(logs.Retries);
        Assert.Contains($"within {Seconds} s ({TimeoutOption}={Seconds})", retry);
        Assert.Equal(LogLevel.Warning, logs.Lines.Single(l => l.Text == retry).Level);
        Assert.DoesNotContain(Password, retry);
    }

    [Theory]
    [InlineData(Read.List)]
    [InlineData(Read.Trace)]
    public async Task A_read_that_times_out_twice_fails_naming_the_option_that_raises_the_timeout_and_its_value(Read read)
    {
        var (store, url, logs) = await PrepareAsync();
        await using var _ = store;
        await WarmUpAsync(store, logs, read);
        await using var locked = await LockDataAsync(url);

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => RunAsync(store, read));

        AssertMessage(e, $"did not answer within {Seconds} s, twice ({TimeoutOption}={Seconds})");
        AssertMessage(e, $"raise the timeout with ?{TimeoutOption}=<seconds>");
        Assert.DoesNotContain(Password, e.ToString());
        Assert.Single(logs.Retries);
    }

    [Fact]
    public async Task A_read_that_fails_for_another_reason_is_not_sent_again()
    {
        var (store, url, logs) = await PrepareAsync();
        await using var _ = store;
        await WarmUpAsync(store, logs, Read.List);
        await DropDataAsync(url);

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => RunAsync(store, Read.List));

        Assert.DoesNotContain("did not answer", e.Message);
        Assert.Empty(logs.Retries);
    }
}

[Collection(MariaDbCollection.Name)]
public sealed class MariaDbReadTimeoutTests(MariaDbServer server) : SqlReadTimeoutTests
{
    protected override ITraceStoreDriver Driver { get; } = new MySqlDriver();
    protected override string TimeoutOption => "read_timeout";
    protected override string Password => MariaDbServer.Password;
    protected override string NewStoreUrl(string query) => server.Url(server.CreateDatabase(), query: query);

    private static string Database(string url) => ConnectionString.Parse(url).Path!;

    protected override async Task<TableLock> LockDataAsync(string url)
    {
        var connection = new MySqlConnection(
            $"Server=127.0.0.1;Port={server.Port};Database={Database(url)};User ID={MariaDbServer.User};Password={MariaDbServer.Password};Pooling=false");
        await connection.OpenAsync();
        await using (var command = new MySqlCommand("LOCK TABLES data WRITE", connection))
            await command.ExecuteNonQueryAsync();
        return new TableLock(connection, c =>
        {
            using var unlock = new MySqlCommand("UNLOCK TABLES", (MySqlConnection)c);
            unlock.ExecuteNonQuery();
        });
    }

    protected override Task DropDataAsync(string url)
    {
        server.Admin("DROP TABLE data", Database(url));
        return Task.CompletedTask;
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresReadTimeoutTests(PostgresServer server) : SqlReadTimeoutTests
{
    protected override ITraceStoreDriver Driver { get; } = new PostgresDriver();
    protected override string TimeoutOption => "command_timeout";
    protected override string Password => PostgresServer.Password;
    protected override string NewStoreUrl(string query) => server.Url(server.CreateDatabase(), query: query);

    private static string Database(string url) => ConnectionString.Parse(url).Path!;

    protected override async Task<TableLock> LockDataAsync(string url)
    {
        var connection = new NpgsqlConnection(
            $"Host=127.0.0.1;Port={server.Port};Database={Database(url)};Username={PostgresServer.User};Password={PostgresServer.Password};Pooling=false");
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("LOCK TABLE data IN ACCESS EXCLUSIVE MODE", connection, transaction))
            await command.ExecuteNonQueryAsync();
        return new TableLock(connection, _ => transaction.Commit());
    }

    protected override Task DropDataAsync(string url)
    {
        server.Admin("DROP TABLE data CASCADE", Database(url));
        return Task.CompletedTask;
    }
}

/// <summary>
/// SQLite: another connection in exclusive locking mode that has written holds the file locked (WAL readers included)
/// until it closes; the store's busy timeout runs out meanwhile.
/// </summary>
public sealed class SqliteReadTimeoutTests : SqlReadTimeoutTests, IDisposable
{
    private readonly TempDirectory _dir = new();

    protected override ITraceStoreDriver Driver { get; } = new SqliteDriver();
    protected override string TimeoutOption => "timeout";
    protected override string Password => "no password in a file URL";
    protected override string NewStoreUrl(string query) => $"sqlite:///{_dir.Path}/{Guid.NewGuid():N}.db?{query}";

    private static SqliteConnection Connect(string url) =>
        new(new SqliteConnectionStringBuilder { DataSource = ConnectionString.Parse(url).Path, Pooling = false }.ToString());

    protected override async Task<TableLock> LockDataAsync(string url)
    {
        // The store's idle pooled connections would keep the exclusive lock from being taken.
        SqliteConnection.ClearAllPools();
        var connection = Connect(url);
        await connection.OpenAsync();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA busy_timeout=120000; PRAGMA locking_mode=EXCLUSIVE; BEGIN IMMEDIATE; DELETE FROM data WHERE id < 0; COMMIT;";
            await command.ExecuteNonQueryAsync();
        }
        return new TableLock(connection, c => c.Close());
    }

    protected override async Task DropDataAsync(string url)
    {
        await using var connection = Connect(url);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "DROP TABLE data";
        await command.ExecuteNonQueryAsync();
    }

    public void Dispose() => _dir.Dispose();
}
