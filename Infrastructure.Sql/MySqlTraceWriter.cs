using System.Data;
using System.Data.Common;
using System.Numerics;
using System.Text;
using MySqlConnector;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// MySQL/MariaDB's write path: server-side prepared multi-row INSERTs (binary protocol: the server parses each
/// statement once a connection, not every row's text, and the values travel unescaped), of a power-of-two number of
/// rows up to <see cref="MaxRowsPerInsert"/> and about <see cref="MaxInsertBytes"/> bytes of values, positional
/// parameters (no names to look up). A batch runs its INSERTs in one transaction that ends by recording the batch id
/// (<see cref="SqlBatchLog"/>: exactly once) and merging the batch's search summaries (<see cref="TraceSummaries"/>).
/// Points the table cannot hold (<see cref="PointRefusals"/>) are left out and refused, the others stored.
/// </summary>
/// <remarks>
/// The writer's connections come from a pool of their own that keeps a connection's session between batches
/// (<see cref="MySqlDialect.WriterConnectionString"/>: no reset on reuse), so that the statements prepared on a
/// connection stay prepared: at most <c>log2(MaxRowsPerInsert) + 1</c> of them a connection. A batch that fails leaves
/// nothing behind (its transaction is rolled back); when its connection broke, the pool's idle connections are dropped
/// too (not being reset on reuse, a broken one would otherwise only show by failing a batch).
/// </remarks>
internal sealed class MySqlTraceWriter(SqlDatabase database) : ITraceWriter
{
    private readonly SqlBatchLog _batches = new(database);

    /// <summary>Most rows one INSERT binds (9 values each: well below the protocol's 65,535 parameters).</summary>
    internal const int MaxRowsPerInsert = 1024;

    /// <summary>Stays well below the smallest default <c>max_allowed_packet</c> (4 MiB on MySQL 5.7).</summary>
    internal const long MaxInsertBytes = 2L * 1024 * 1024;

    /// <summary>The INSERT of 2^k rows, at index k.</summary>
    private static readonly string[] InsertSql = BuildInserts();

    private static string[] BuildInserts()
    {
        var result = new string[BitOperations.Log2(MaxRowsPerInsert) + 1];
        for (var k = 0; k < result.Length; k++)
        {
            var rows = 1 << k;
            var sql = new StringBuilder(64 + rows * 20).Append("INSERT INTO data (").Append(DataColumns.Names).Append(") VALUES ");
            for (var i = 0; i < rows; i++) sql.Append(i == 0 ? "(?,?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?,?)");
            result[k] = sql.ToString();
        }
        return result;
    }

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken)
    {
        await using var db = await database.OpenAsync(cancellationToken, forWriting: true).ConfigureAwait(false);
        var connection = (MySqlConnection)db.Database.GetDbConnection();
        await _batches.EnsureTableAsync(connection, cancellationToken).ConfigureAwait(false);
        var data = OsProfilerData.EncodeAll(points);
        var settings = database.Settings;
        // Set when the table refused some of the batch's points for their values (PointRefusals): the batch is then
        // written again, the refused points left out.
        MySqlException? refusedBy = null;
        List<int>? refused = null;
        try
        {
            // The summaries (TraceSummaries) are written in the same transaction as the rows and the batch id.
            var summaries = database.Summaries.Available;
            while (true)
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                if (refusedBy is null)
                {
                    try
                    {
                        await InsertAsync(connection, transaction, points, data, settings, cancellationToken).ConfigureAwait(false);
                    }
                    catch (MySqlException e) when (PointRefusals.IsPointsFault(e))
                    {
                        // The rows inserted before the failing statement go with the rollback (the dispose).
                        refusedBy = e;
                        continue;
                    }
                }
                else
                {
                    refused = await PointRefusals.FindAsync(transaction, Enumerable.Range(0, points.Count).ToList(),
                        (rows, token) => InsertAsync(connection, transaction, [.. rows.Select(i => points[i])],
                            [.. rows.Select(i => data[i])], settings, token), cancellationToken).ConfigureAwait(false);
                    // Every row went in after all (the failure did not come back): the batch is stored whole.
                    if (refused.Count == 0) refused = null;
                }
                // Exactly once: the batch id, in the same transaction; already there means already stored (the rollback is the dispose).
                if (!await _batches.ClaimAsync(connection, transaction, batchId, cancellationToken).ConfigureAwait(false))
                {
                    if (refused is not null) throw PointRefusals.Refusal(database, points, refused, refusedBy!);
                    return;
                }
                var stored = refused is null ? points : PointRefusals.Accepted(points, refused);
                if (summaries && stored.Count > 0)
                    await TraceSummaries.WriteAsync(connection, transaction, SqlFlavor.MySql, Profiler.Storage.TraceDigest.OfBatch(stored, settings), cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                break;
            }
        }
        catch (DbException e)
        {
            // A broken connection (the server restarted, say): the pool's other idle ones, never reset on reuse here,
            // are most likely broken too. Dropping them makes the retry connect afresh instead of failing on each.
            if (connection.State != ConnectionState.Open) await MySqlConnection.ClearPoolAsync(connection, CancellationToken.None).ConfigureAwait(false);
            throw database.Failure(SqlOperation.Write, e);
        }
        await _batches.PruneIfDueAsync(connection, cancellationToken).ConfigureAwait(false);
        if (refused is not null) throw PointRefusals.Refusal(database, points, refused, refusedBy!);
    }

    /// <summary>Inserts <paramref name="points"/> (their encoded <paramref name="data"/> beside) by <see cref="SplitInserts"/>.</summary>
    private static async Task InsertAsync(MySqlConnection connection, MySqlTransaction transaction, IReadOnlyList<TracePoint> points,
        string[] data, DriverSettings settings, CancellationToken cancellationToken)
    {
        foreach (var (offset, count) in SplitInserts(points, data, settings))
        {
            await using var command = new MySqlCommand(InsertSql[BitOperations.Log2((uint)count)], connection, transaction);
            var parameters = command.Parameters;
            for (var i = offset; i < offset + count; i++)
            {
                var p = points[i];
                Add(parameters, p.Timestamp);
                Add(parameters, p.BaseId);
                Add(parameters, p.ParentId);
                Add(parameters, p.TraceId);
                Add(parameters, DataColumns.Project(p, settings));
                Add(parameters, DataColumns.Host(p, settings));
                Add(parameters, DataColumns.Service(p, settings));
                Add(parameters, p.Name);
                Add(parameters, data[i]);
            }
            // Prepared once a connection (MySqlConnector keeps it by its text); later batches only execute it.
            await PrepareAsync(command, cancellationToken).ConfigureAwait(false);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Prepares <paramref name="command"/> on its connection unless it is already. A server whose prepared statements
    /// are all taken (<c>max_prepared_stmt_count</c>, shared by all its clients) still gets the rows: the command then
    /// runs unprepared, its values sent as SQL text.
    /// </summary>
    private static async Task PrepareAsync(MySqlCommand command, CancellationToken cancellationToken)
    {
        try
        {
            await command.PrepareAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (MySqlException e) when (e.ErrorCode == MySqlErrorCode.MaxPreparedStatementCountReached)
        {
        }
    }

    /// <summary>
    /// A positional text parameter (no name to look up), its type set first: MySqlConnector maps a <c>DbType</c>, or
    /// the type of a value set before any type, by a linear search of its type table. (It searches once more per
    /// parameter when it writes the values; the two searches were a fifth of the client's time in this writer.)
    /// </summary>
    private static void Add(MySqlParameterCollection parameters, string? value) =>
        parameters.Add(new MySqlParameter { MySqlDbType = MySqlDbType.VarChar, Value = (object?)value ?? DBNull.Value });

    /// <summary>
    /// Cuts a batch into INSERTs of a power-of-two number of rows, at most <see cref="MaxRowsPerInsert"/> and about
    /// <see cref="MaxInsertBytes"/> bytes (a larger row goes alone), largest first.
    /// </summary>
    internal static List<(int Offset, int Count)> SplitInserts(IReadOnlyList<TracePoint> points, string[] data, DriverSettings settings)
    {
        var result = new List<(int, int)>();
        var start = 0;
        while (start < points.Count)
        {
            var fit = 0;
            long bytes = 0;
            while (start + fit < points.Count && fit < MaxRowsPerInsert)
            {
                var size = RowBytes(points[start + fit], data[start + fit], settings);
                if (fit > 0 && bytes + size > MaxInsertBytes) break;
                bytes += size;
                fit++;
            }
            var count = 1 << BitOperations.Log2((uint)fit);
            result.Add((start, count));
            start += count;
        }
        return result;
    }

    /// <summary>Upper bound of what a row takes in an INSERT: every value as UTF-8, plus its length prefix.</summary>
    private static long RowBytes(TracePoint p, string data, DriverSettings settings) =>
        64L + 3L * ((p.BaseId?.Length ?? 0) + (p.ParentId?.Length ?? 0) + (p.TraceId?.Length ?? 0) + (p.Name?.Length ?? 0)
                    + (DataColumns.Project(p, settings)?.Length ?? 0) + (DataColumns.Service(p, settings)?.Length ?? 0)
                    + (DataColumns.Host(p, settings)?.Length ?? 0) + (p.Timestamp?.Length ?? 0) + data.Length);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
