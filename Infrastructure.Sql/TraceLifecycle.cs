using System.Data.Common;
using System.Globalization;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// Pins, pruning and statistics of a SQL store (<see cref="ITraceStorePinning"/>, <see cref="ITraceStorePruning"/>,
/// <see cref="ITraceStoreStatistics"/>). Pins live in a side table, <c>profiler_pins (base_id, pinned_at)</c>, that
/// OSProfiler never reads; it is created by the first pin (CREATE TABLE IF NOT EXISTS), and until then every trace is
/// unpinned, so pruning, listing pins and statistics need no CREATE privilege.
/// </summary>
/// <remarks>
/// On MySQL/MariaDB the <c>data</c> table's collation ignores case (<see cref="SqlDialect.BaseIdEquals"/>). Lookups by id are exact
/// there too: pinning, unpinning, and the pins listed and counted tell <c>Req-1</c> from <c>req-1</c>. The whole-table
/// scans compare as the table does, which keeps their index order: on a MariaDB table of 1M rows and 50,000 traces an
/// exact comparison made a prune round's candidate read 4x slower (12.7 s against 3.2 s) and the statistics 6x (4.3 s
/// against 0.64 s). Pruning stays safe, if conservative:
/// an old trace whose id differs only in case from a recent or pinned one is kept until both may go, never removed
/// with it; and the statistics count such ids as one trace.
/// </remarks>
internal sealed class TraceLifecycle(SqlDatabase database)
{
    /// <summary>The side table of pinned traces.</summary>
    public const string PinTable = "profiler_pins";

    /// <summary>Most traces one prune round finds and deletes (one short transaction a round).</summary>
    public const int TracesPerRound = 500;

    private const string CreatePinTable =
        "CREATE TABLE IF NOT EXISTS " + PinTable + " (base_id varchar(255) NOT NULL, pinned_at varchar(26) NOT NULL, PRIMARY KEY (base_id))";

    /// <summary>
    /// On MySQL/MariaDB the key compares exactly (the database's default collation ignores case, and pins of
    /// <c>Req-1</c> and <c>req-1</c> are two pins); ids are ASCII (<see cref="TracePointRules.IsSafeId"/>).
    /// </summary>
    private const string CreateMySqlPinTable =
        "CREATE TABLE IF NOT EXISTS " + PinTable +
        " (base_id varchar(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, pinned_at varchar(26) NOT NULL, PRIMARY KEY (base_id))";

    private volatile bool _pinTableExists;

    /// <summary>Pins or unpins; false (nothing pinned) for an unsafe id or a trace without points.</summary>
    public async Task<bool> SetPinnedAsync(string baseId, bool pinned, CancellationToken cancellationToken)
    {
        if (!TracePointRules.IsSafeId(baseId)) return false;
        await using var db = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = db.Database.GetDbConnection();
        var dialect = database.Dialect;
        var operation = SqlOperation.Read;
        try
        {
            bool exists;
            await using (var probe = connection.CreateCommand())
            {
                probe.CommandText = $"SELECT base_id FROM data WHERE {dialect.BaseIdEquals("base_id", "@base_id")} LIMIT 1";
                SqlParameters.Add(probe, "@base_id", baseId);
                exists = await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not (null or DBNull);
            }
            if (pinned)
            {
                if (!exists) return false;
                operation = SqlOperation.CreatePinTable;
                await EnsurePinTableAsync(connection, cancellationToken).ConfigureAwait(false);
                operation = SqlOperation.Pin;
                await using var insert = connection.CreateCommand();
                insert.CommandText = database.Dialect.InsertPin;
                SqlParameters.Add(insert, "@base_id", baseId);
                SqlParameters.Add(insert, "@pinned_at", TraceTimestamp.UtcNow.ToString());
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (dialect is MySqlDialect) await CheckPinnedAsync(connection, baseId, cancellationToken).ConfigureAwait(false);
                return true;
            }
            if (await PinTableExistsAsync(connection, cancellationToken).ConfigureAwait(false))
            {
                // A stale pin of a trace that is gone is dropped too.
                operation = SqlOperation.Pin;
                await using var delete = connection.CreateCommand();
                delete.CommandText = $"DELETE FROM {PinTable} WHERE {dialect.BaseIdEquals("base_id", "@base_id")}";
                SqlParameters.Add(delete, "@base_id", baseId);
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            return exists;
        }
        catch (DbException e)
        {
            throw database.Failure(operation, e);
        }
    }

    /// <summary>
    /// After a pin on MySQL/MariaDB: the pin is there under exactly <paramref name="baseId"/>. A pin table an older
    /// Profiler made has a key that ignores case, and the server ignored the new pin as a duplicate of the pin of an id
    /// differing in case; the error says how to make the key exact.
    /// </summary>
    private async Task CheckPinnedAsync(DbConnection connection, string baseId, CancellationToken cancellationToken)
    {
        await using var check = connection.CreateCommand();
        check.CommandText = $"SELECT base_id FROM {PinTable} WHERE {database.Dialect.BaseIdEquals("base_id", "@base_id")}";
        SqlParameters.Add(check, "@base_id", baseId);
        if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not (null or DBNull)) return;
        throw new TraceStoreException(
            $"Could not pin trace '{baseId}': table {PinTable} already pins a trace whose id differs from it only in case, and " +
            "its base_id column ignores case (it was made by an older Profiler). Make the column exact, then pin again: " +
            $"ALTER TABLE {PinTable} MODIFY base_id varchar(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL");
    }

    /// <summary>The pinned base ids whose trace still has points.</summary>
    /// <remarks>A read that times out is sent once more (<see cref="SqlDatabase.ReadAsync"/>).</remarks>
    public Task<IReadOnlyList<string>> ListPinnedAsync(CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<string>>(async (connection, token) =>
        {
            if (!await PinTableExistsAsync(connection, token).ConfigureAwait(false)) return [];
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT p.base_id FROM {PinTable} p WHERE EXISTS (SELECT 1 FROM data d WHERE {database.Dialect.BaseIdEquals("d.base_id", "p.base_id")})";
            var ids = new List<string>();
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false)) ids.Add(reader.GetString(0));
            return ids;
        }, cancellationToken);

    /// <summary>
    /// Removes unpinned traces whose newest point is before <paramref name="cutoff"/>, in rounds of at most
    /// <see cref="TracesPerRound"/> traces: a round finds candidates by a plain read (the timestamp index; no locks),
    /// in base-id order after the previous round's last id, then deletes them by base id in its own short transaction
    /// (READ COMMITTED on servers, <see cref="SqlDialect.PruneIsolation"/>: row locks on those traces only). The DELETE checks again that no point at or after the cutoff and no pin has
    /// appeared meanwhile, so a trace written to inside the window is never cut.
    /// </summary>
    public async Task<PruneResult> PruneAsync(DateTime cutoff, bool dryRun, CancellationToken cancellationToken)
    {
        var before = TraceTimestamp.FromDateTime(cutoff.Kind == DateTimeKind.Local ? cutoff.ToUniversalTime() : cutoff).ToString();
        await using var db = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = db.Database.GetDbConnection();
        var operation = SqlOperation.Read;
        try
        {
            var pins = await PinTableExistsAsync(connection, cancellationToken).ConfigureAwait(false);
            long traces = 0, points = 0;
            var after = "";
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                operation = SqlOperation.Read;
                var ids = await CandidatesAsync(connection, before, after, pins, cancellationToken).ConfigureAwait(false);
                if (ids.Count == 0) break;
                after = ids[^1];
                if (dryRun)
                {
                    traces += ids.Count;
                    points += await CountPointsAsync(connection, ids, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    operation = SqlOperation.Delete;
                    var (t, p) = await DeleteRoundAsync(connection, ids, before, pins, cancellationToken).ConfigureAwait(false);
                    traces += t;
                    points += p;
                }
                if (ids.Count < TracesPerRound) break;
            }
            if (!dryRun && traces > 0) Log.Pruned(database.Logger, database.Description, traces, points, before);
            return new PruneResult(traces, points);
        }
        catch (DbException e)
        {
            throw database.Failure(operation, e);
        }
    }

    private static async Task<List<string>> CandidatesAsync(DbConnection connection, string before, string after, bool pins,
        CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText =
            "SELECT DISTINCT d.base_id FROM data d WHERE d.timestamp < @cutoff AND d.base_id > @after" +
            " AND NOT EXISTS (SELECT 1 FROM data n WHERE n.base_id = d.base_id AND n.timestamp >= @cutoff)" +
            (pins ? $" AND NOT EXISTS (SELECT 1 FROM {PinTable} p WHERE p.base_id = d.base_id)" : "") +
            " ORDER BY d.base_id LIMIT " + TracesPerRound.ToString(CultureInfo.InvariantCulture);
        SqlParameters.Add(command, "@cutoff", before);
        SqlParameters.Add(command, "@after", after);
        var ids = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) ids.Add(reader.GetString(0));
        return ids;
    }

    private static async Task<long> CountPointsAsync(DbConnection connection, List<string> ids, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM data WHERE base_id IN ({SqlParameters.AddIds(command, ids)})";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    private async Task<(long Traces, long Points)> DeleteRoundAsync(DbConnection connection, List<string> ids,
        string before, bool pins, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(database.Dialect.PruneIsolation, cancellationToken).ConfigureAwait(false);
        await using var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        var list = SqlParameters.AddIds(delete, ids);
        // The recent-points subquery is a derived table (DISTINCT keeps MySQL from merging it), since MySQL refuses a
        // DELETE whose subquery reads the table it deletes from.
        var recent = $"SELECT DISTINCT base_id FROM data WHERE base_id IN ({list}) AND timestamp >= @cutoff";
        delete.CommandText =
            $"DELETE FROM data WHERE base_id IN ({list}) AND base_id NOT IN (SELECT r.base_id FROM ({recent}) r)" +
            (pins ? $" AND base_id NOT IN (SELECT base_id FROM {PinTable})" : "");
        SqlParameters.Add(delete, "@cutoff", before);
        var points = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        long traces = ids.Count;
        if (points > 0)
        {
            // Traces the DELETE spared (written to, pinned, or deleted by someone else meanwhile) still count out.
            await using var left = connection.CreateCommand();
            left.Transaction = transaction;
            left.CommandText = $"SELECT COUNT(DISTINCT base_id) FROM data WHERE base_id IN ({SqlParameters.AddIds(left, ids)})";
            traces -= Convert.ToInt64(await left.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }
        else
        {
            traces = 0;
        }
        if (points > 0) await database.Summaries.ForgetAsync(connection, transaction, ids, true, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (traces, points);
    }

    /// <summary>
    /// Traces, points, the time span, the bytes the server reports and the pinned traces. A read that times out is sent
    /// once more (<see cref="SqlDatabase.ReadAsync"/>).
    /// </summary>
    public Task<TraceStoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken) =>
        database.ReadAsync(GetStatisticsAsync, cancellationToken);

    private async Task<TraceStoreStatistics> GetStatisticsAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        long traces, points;
        string? oldest, newest;
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT COUNT(DISTINCT base_id), COUNT(*), MIN(timestamp), MAX(timestamp) FROM data";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            traces = Convert.ToInt64(reader.GetValue(0), CultureInfo.InvariantCulture);
            points = Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture);
            oldest = reader.IsDBNull(2) ? null : reader.GetString(2);
            newest = reader.IsDBNull(3) ? null : reader.GetString(3);
        }
        long? bytes = null;
        await using (var size = connection.CreateCommand())
        {
            size.CommandText = database.Dialect.SizeQuery;
            var value = await size.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (value is not (null or DBNull)) bytes = Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }
        long pinned = 0;
        if (await PinTableExistsAsync(connection, cancellationToken).ConfigureAwait(false))
        {
            await using var count = connection.CreateCommand();
            count.CommandText = $"SELECT COUNT(*) FROM {PinTable} p WHERE EXISTS (SELECT 1 FROM data d WHERE {database.Dialect.BaseIdEquals("d.base_id", "p.base_id")})";
            pinned = Convert.ToInt64(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }
        return new TraceStoreStatistics(traces, points, oldest, newest, bytes, pinned);
    }

    /// <summary>Drops the pins of deleted traces, where there is a pin table (<see cref="TraceCleanup"/>).</summary>
    public async Task ForgetAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (!await PinTableExistsAsync(connection, cancellationToken, transaction).ConfigureAwait(false)) return;
        await using var delete = connection.CreateCommand();
        delete.Transaction = transaction;
        delete.CommandText = $"DELETE FROM {PinTable} WHERE {database.Dialect.BaseIdIn("base_id", SqlParameters.AddIds(delete, ids))}";
        await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<bool> PinTableExistsAsync(DbConnection connection, CancellationToken cancellationToken, DbTransaction? transaction = null)
    {
        if (_pinTableExists) return true;
        return _pinTableExists = await database.Dialect.HasTableAsync(connection, transaction, PinTable, cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsurePinTableAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (await PinTableExistsAsync(connection, cancellationToken).ConfigureAwait(false)) return;
        Log.CreatingPinTable(database.Logger, database.Description);
        await using var command = connection.CreateCommand();
        command.CommandText = database.Dialect is MySqlDialect ? CreateMySqlPinTable : CreatePinTable;
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e) when (database.Dialect.IsAlreadyExists(e))
        {
            Log.SkippedDdl(database.Logger, command.CommandText, e.Message);
        }
        _pinTableExists = true;
    }
}
