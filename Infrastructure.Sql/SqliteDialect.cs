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

    /// <summary>SQLite is in-process: a prepared single-row INSERT per point in one transaction is fastest.</summary>
    public override int RowsPerInsert => 1;

    public override void Configure(DbContextOptionsBuilder builder, ConnectionString connectionString)
    {
        var path = FilePath(connectionString);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        var cs = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
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

    /// <summary>synchronous=NORMAL is WAL's usual durability: no fsync per commit. A per-connection setting.</summary>
    public override async Task OnConnectionOpenedAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=NORMAL;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
