using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Profiler.Domain;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// The embedded default: <c>sqlite:///relative/path.db</c> (from the working directory) or
/// <c>sqlite:////absolute/path.db</c>. The file and its folder are created when missing; the database runs in WAL mode.
/// </summary>
public sealed class SqliteDialect : SqlDialect
{
    public override string JsonColumnType => "JSON";

    /// <summary>
    /// Rows committed after which a write starts a checkpoint in the background: some 50 MiB of write-ahead log with
    /// OSProfiler's eight indexes (a row rewrites about 1 KiB of pages in the log).
    /// </summary>
    public const int CheckpointAfterRows = 50_000;

    /// <summary>Rows committed since the last checkpoint began after which a write waits for one (the background not keeping up).</summary>
    public const int CheckpointNowRows = 4 * CheckpointAfterRows;

    private long _rowsSinceCheckpoint;
    private string? _connectionString;
    private Task _checkpoint = Task.CompletedTask;

    /// <summary>SQLite is in-process: <see cref="SqliteRowWriter"/> binds prepared statements directly instead of building multi-row INSERT text.</summary>
    public override int RowsPerInsert => 1;

    /// <summary>One writer at a time: concurrent batches share a commit.</summary>
    public override bool GroupsCommits => true;

    public override void Configure(DbContextOptionsBuilder builder, ConnectionString connectionString)
    {
        var path = FilePath(connectionString);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        _connectionString = cs;
        builder.UseSqlite(cs);
    }

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
    /// checkpoint in the writer's commit: <see cref="AfterCommitAsync"/> checkpoints on another thread instead.
    /// </summary>
    public override async Task OnConnectionOpenedAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=0;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Keeps the write-ahead log short without stalling writers: every <see cref="CheckpointAfterRows"/> rows a
    /// PASSIVE checkpoint runs on its own connection in the background (it copies committed pages into the database
    /// while writers go on appending; the log is then reused from its start). Past <see cref="CheckpointNowRows"/>
    /// rows the writer waits for one, so the log stays bounded even when readers hold checkpoints back. Called by
    /// one writer at a time (group commit).
    /// </summary>
    public override async Task AfterCommitAsync(int rows)
    {
        if (_connectionString is null) return;
        _rowsSinceCheckpoint += rows;
        if (_rowsSinceCheckpoint < CheckpointAfterRows) return;
        if (_checkpoint.IsCompleted)
        {
            _rowsSinceCheckpoint = 0;
            _checkpoint = Task.Run(CheckpointAsync);
        }
        else if (_rowsSinceCheckpoint >= CheckpointNowRows)
            await _checkpoint.ConfigureAwait(false);
    }

    public override Task StopAsync() => _checkpoint;

    private async Task CheckpointAsync()
    {
        try
        {
            await using var connection = new SqliteConnection(_connectionString);
            await connection.OpenAsync().ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        catch (SqliteException)
        {
            // A busy or failed checkpoint only leaves the log longer; the next write past the threshold tries again.
        }
    }

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
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)) > 0;
    }

    public override string Describe(ConnectionString connectionString) =>
        $"SQLite database '{Path.GetFullPath(connectionString.Path ?? "")}'";
}
