using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// Exactly-once writes (<see cref="Profiler.Storage.ITraceStore.WriteAsync"/>): the side table
/// <c>profiler_batches (batch_id, stored_at)</c>, beside <c>data</c> (OSProfiler never reads it), holds the id of every
/// batch stored in the last <see cref="KeepFor"/>. Each writer inserts its batch's id first, in the same transaction
/// as the batch's rows (<see cref="ClaimAsync"/>, <see cref="ClaimSqlite"/>, <see cref="StartMySqlClaim"/>; SQLite first,
/// MySQL and PostgreSQL right after the rows, before the commit (MySQL in one round trip with the summaries), so that a missing INSERT privilege on <c>data</c> is reported as such); an id
/// already there means the batch was stored before, and the writer rolls back and returns. Two writers of one id at once serialise on the primary key:
/// the second waits for the first's commit and then finds the id.
/// </summary>
/// <remarks>
/// The table is created on a store's first write when missing (needs CREATE once, then INSERT and DELETE on it).
/// Ids older than <see cref="KeepFor"/> are deleted by the first write of a store and then at most once every
/// <see cref="PruneEvery"/>, after the write, outside its transaction (a failure there is only logged).
/// </remarks>
internal sealed class SqlBatchLog(SqlDatabase database)
{
    /// <summary>The side table.</summary>
    public const string Table = "profiler_batches";

    /// <summary>How long a batch id is remembered: a day. A retry later than that would be stored again.</summary>
    public static readonly TimeSpan KeepFor = TimeSpan.FromDays(1);

    /// <summary>Least time between two deletions of old ids by one store.</summary>
    public static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);

    private volatile bool _exists;
    private long _nextPruneTicks;

    private string CreateSql => database.Dialect switch
    {
        MySqlDialect => $"CREATE TABLE IF NOT EXISTS {Table} (batch_id char(36) NOT NULL, stored_at bigint NOT NULL, PRIMARY KEY (batch_id), INDEX ix_{Table}_stored_at (stored_at))",
        _ => $"CREATE TABLE IF NOT EXISTS {Table} (batch_id char(36) NOT NULL, stored_at bigint NOT NULL, PRIMARY KEY (batch_id))",
    };

    private string? IndexSql => database.Dialect is MySqlDialect ? null : $"CREATE INDEX IF NOT EXISTS ix_{Table}_stored_at ON {Table} (stored_at)";

    private string ClaimSql => database.Dialect switch
    {
        MySqlDialect => $"INSERT IGNORE INTO {Table} (batch_id, stored_at) VALUES (@batch_id, @stored_at)",
        PostgresDialect => $"INSERT INTO {Table} (batch_id, stored_at) VALUES (@batch_id, @stored_at) ON CONFLICT (batch_id) DO NOTHING",
        _ => $"INSERT OR IGNORE INTO {Table} (batch_id, stored_at) VALUES (@batch_id, @stored_at)",
    };

    /// <summary>Creates the table when missing; once a store does it, no more (concurrent creators tolerated).</summary>
    public async Task EnsureTableAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (_exists) return;
        try
        {
            // Only a missing table needs CREATE: a user with INSERT alone writes once the table is there.
            if (!await database.Dialect.HasTableAsync(connection, null, Table, cancellationToken).ConfigureAwait(false))
                foreach (var sql in new[] { CreateSql, IndexSql })
                {
                    if (sql is null) continue;
                    await using var command = connection.CreateCommand();
                    command.CommandText = sql;
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
        }
        catch (DbException e)
        {
            // Another writer (this process or another) may have created it at the same moment: then all is well.
            bool exists;
            try { exists = await database.Dialect.HasTableAsync(connection, null, Table, cancellationToken).ConfigureAwait(false); }
            catch (DbException) { exists = false; }
            if (!exists) throw database.Failure(SqlOperation.CreateBatchTable, e);
        }
        _exists = true;
    }

    /// <summary>
    /// Inserts <paramref name="batchId"/> inside <paramref name="transaction"/>; false when it was there already (the
    /// batch was stored: roll back and return).
    /// </summary>
    public async Task<bool> ClaimAsync(DbConnection connection, DbTransaction transaction, Guid batchId, CancellationToken cancellationToken)
    {
        try
        {
            return await TryClaimAsync(connection, transaction, batchId, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw database.Failure(SqlOperation.ClaimBatch, e);
        }
    }

    private async Task<bool> TryClaimAsync(DbConnection connection, DbTransaction transaction, Guid batchId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = ClaimSql;
        SqlParameters.Add(command, "@batch_id", batchId.ToString("D"));
        SqlParameters.Add(command, "@stored_at", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>
    /// Starts <paramref name="command"/> (the caller appends the statements to run with it, in one round trip) with
    /// MySQL's claim of <paramref name="batchId"/>: a plain INSERT, so that an id already there fails it with a duplicate
    /// key (<see cref="IsClaimedBefore"/>) and the server runs none of the statements after it. The caller then rolls back
    /// and returns, as for <see cref="ClaimAsync"/>'s false; its other failures go through <see cref="ClaimFailure"/>.
    /// </summary>
    public static void StartMySqlClaim(DbCommand command, Guid batchId)
    {
        // Positional, as the statements appended after it (TraceSummaries.AppendMerge).
        command.CommandText = $"INSERT INTO {Table} (batch_id, stored_at) VALUES (?, ?)";
        SqlParameters.Add(command, "", batchId.ToString("D"));
        SqlParameters.Add(command, "", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    /// <summary>
    /// Whether a command started by <see cref="StartMySqlClaim"/> failed because the batch id is there already
    /// (1062, duplicate entry: the statements appended after the claim add or merge rows and never raise it).
    /// </summary>
    public static bool IsClaimedBefore(MySqlConnector.MySqlException e) => e.Number == 1062;

    /// <summary>
    /// The failure of a command started by <see cref="StartMySqlClaim"/>, as <see cref="ClaimAsync"/> tells it when the
    /// server refused the claim's table (a privilege on <see cref="Table"/>); null for any other failure.
    /// </summary>
    public TraceStoreException? ClaimFailure(MySqlConnector.MySqlException e) =>
        e.Number is 1142 or 1143 && e.Message.Contains(Table, StringComparison.Ordinal) ? database.Failure(SqlOperation.ClaimBatch, e) : null;

    /// <summary>SQLite's <see cref="ClaimAsync"/>, inside the writer's open transaction (SQLite runs in-process: no awaiting).</summary>
    public static bool ClaimSqlite(SqliteConnection connection, Guid batchId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"INSERT OR IGNORE INTO {Table} (batch_id, stored_at) VALUES ($id, $at)";
        command.Parameters.AddWithValue("$id", batchId.ToString("D"));
        command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        return command.ExecuteNonQuery() > 0;
    }

    /// <summary>
    /// Deletes ids older than <see cref="KeepFor"/> when <see cref="PruneEvery"/> has passed since this store last did
    /// (the first call always does). Best effort: a failure is logged and tried again next time.
    /// </summary>
    public async Task PruneIfDueAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow.Ticks;
        var due = Interlocked.Read(ref _nextPruneTicks);
        if (now < due || Interlocked.CompareExchange(ref _nextPruneTicks, now + PruneEvery.Ticks, due) != due) return;
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"DELETE FROM {Table} WHERE stored_at < {(DateTimeOffset.UtcNow - KeepFor).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            Log.BatchPruneFailed(database.Logger, database.Description, database.ConnectionString.ScrubPassword(e.Message));
        }
    }
}
