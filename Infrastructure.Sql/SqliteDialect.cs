using System.Data;
using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Profiler.Domain;
using System.Runtime.CompilerServices;
using Profiler.Threading;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// The embedded default: <c>sqlite:///relative/path.db</c> (from the working directory) or
/// <c>sqlite:////absolute/path.db</c>. The file and its folder are created when missing; the database runs in WAL
/// mode. Writes go through <see cref="SqliteTraceWriter"/> (group commit, background checkpoints).
/// </summary>
internal sealed class SqliteDialect : SqlDialect
{
    public override string JsonColumnType => "JSON";

    public override void Configure(DbContextOptionsBuilder builder, ConnectionString connectionString) =>
        builder.UseSqlite(BuildConnectionString(connectionString));

    /// <summary>Made when a write (or a delete, pin, prune, reindex) first needs it: reads do without (<see cref="CreateReadConnection"/>).</summary>
    public override string ProviderConnectionString(ConnectionString connectionString) => BuildConnectionString(connectionString);

    /// <summary>Checks the file and the timeout, and creates the file's folder when it is missing.</summary>
    public override bool Prepare(ConnectionString connectionString)
    {
        var path = FilePath(connectionString);
        TimeoutOf(connectionString);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        return true;
    }

    public override DbConnection CreateConnection(string providerConnectionString) => new SqliteConnection(providerConnectionString);

    /// <summary>
    /// A read's connection straight on SQLitePCLRaw (<see cref="SqliteReadConnection"/>): the same file and busy
    /// timeout as <see cref="BuildConnectionString"/>'s, without Microsoft.Data.Sqlite's start-up.
    /// </summary>
    public override DbConnection CreateReadConnection(ConnectionString connectionString) =>
        new SqliteReadConnection(FilePath(connectionString), (int)TimeoutOf(connectionString).Seconds);

    /// <summary>The Microsoft.Data.Sqlite connection string: the file, pooled, a busy timeout of <see cref="Timeout"/>.</summary>
    internal static string BuildConnectionString(ConnectionString connectionString) =>
        new SqliteConnectionStringBuilder
        {
            DataSource = FilePath(connectionString), Pooling = true, DefaultTimeout = (int)TimeoutOf(connectionString).Seconds,
        }.ToString();

    /// <summary>
    /// The busy timeout (Microsoft.Data.Sqlite's <c>DefaultTimeout</c>, whole seconds; how long a command waits for
    /// another connection's lock): the URL's <c>timeout</c> (pysqlite's name, as SQLAlchemy passes it), else 30 s.
    /// </summary>
    public override SqlTimeout Timeout(ConnectionString connectionString) => TimeoutOf(connectionString);

    private static SqlTimeout TimeoutOf(ConnectionString connectionString) =>
        connectionString.GetSeconds("timeout") is { } given
            ? new SqlTimeout(Math.Ceiling(given.TotalSeconds), "timeout", true)
            : new SqlTimeout(30, "timeout", false);

    /// <summary>SQLITE_BUSY or SQLITE_LOCKED after the busy timeout: another connection held the lock throughout.</summary>
    public override bool IsTimeout(Exception exception) => exception is SqliteException { SqliteErrorCode: 5 or 6 };

    public override ITraceWriter CreateWriter(SqlDatabase database) =>
        new SqliteTraceWriter(database);

    /// <summary>The file a <c>sqlite://</c> URL names; throws <see cref="FormatException"/> for one that names none.</summary>
    public static string FilePath(ConnectionString connectionString)
    {
        if (connectionString.Hosts.Count > 0)
            throw new FormatException(
                $"Connection string '{connectionString}' names a host; SQLite takes a file: sqlite:///relative.db or sqlite:////absolute/path.db.");
        if (string.IsNullOrEmpty(connectionString.Path) || connectionString.Path == ":memory:")
            throw new FormatException(
                $"Connection string '{connectionString}' names no database file: use sqlite:///relative.db or sqlite:////absolute/path.db.");
        return connectionString.Path;
    }

    /// <summary>
    /// Per connection: synchronous=NORMAL, WAL's usual durability (no fsync per commit; the log is synced at each
    /// checkpoint); a page cache of up to 64 MiB (index pages stay in memory across batches); and no automatic
    /// checkpoint in a commit: <see cref="SqliteTraceWriter"/> checkpoints on another thread instead. A read's own
    /// connection (<see cref="SqliteReadConnection"/>) gets them too: a listing or search may commit (creating the
    /// summary tables, catching up on another writer's traces), and must neither fsync nor checkpoint in the reader's time.
    /// </summary>
    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder))]
    public override async Task OnConnectionOpenedAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=0;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    public override async Task<bool> TableExistsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using (var wal = connection.CreateCommand())
        {
            // WAL lets readers run beside a writer; it is a property of the database file.
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'data'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false),
            System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>SQLite has one writer at a time whatever the level; its default transaction is used.</summary>
    public override IsolationLevel PruneIsolation => IsolationLevel.Unspecified;

    protected override string TableCountQuery => "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = @table";

    public override string InsertPin => "INSERT OR IGNORE INTO profiler_pins (base_id, pinned_at) VALUES (@base_id, @pinned_at)";

    /// <summary>The main database file's pages (the WAL file aside).</summary>
    public override string SizeQuery => "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";

    public override string Describe(ConnectionString connectionString) =>
        $"SQLite database '{Path.GetFullPath(connectionString.Path ?? "")}'";
}
