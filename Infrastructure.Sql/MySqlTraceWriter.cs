using System.Data;
using System.Data.Common;
using System.Text;
using Profiler.Domain;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// MySQL/MariaDB's write path: multi-row INSERTs of up to <see cref="RowsPerInsert"/> rows and about
/// <see cref="MaxInsertBytes"/> bytes of values, named parameters (MySqlConnector interpolates them client-side); a
/// batch runs its INSERTs in one transaction that ends by recording the batch id (<see cref="SqlBatchLog"/>: exactly once).
/// </summary>
internal sealed class MySqlTraceWriter(SqlDatabase database) : ITraceWriter
{
    private readonly SqlBatchLog _batches = new(database);

    /// <summary>Every batch up to this many rows is one INSERT, one round trip.</summary>
    internal const int RowsPerInsert = 2000;

    /// <summary>Stays well below the smallest default <c>max_allowed_packet</c> (4 MiB on MySQL 5.7).</summary>
    internal const long MaxInsertBytes = 2L * 1024 * 1024;

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken)
    {
        await using var db = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = db.Database.GetDbConnection();
        await _batches.EnsureTableAsync(connection, cancellationToken).ConfigureAwait(false);
        var data = OsProfilerData.EncodeAll(points);
        var statements = SplitInserts(points, data);
        var settings = database.Settings;
        try
        {
            // The summaries (TraceSummaries) are written in the same transaction as the rows and the batch id.
            var summaries = database.Summaries.Available;
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            foreach (var (offset, count) in statements)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                var sql = new StringBuilder(64 + count * 90).Append("INSERT INTO data (").Append(DataColumns.Names).Append(") VALUES ");
                for (var i = 0; i < count; i++)
                {
                    var p = points[offset + i];
                    if (i > 0) sql.Append(',');
                    sql.Append('(');
                    AddValue(command, sql, p.Timestamp);
                    foreach (var value in (ReadOnlySpan<string?>)[p.BaseId, p.ParentId, p.TraceId, DataColumns.Project(p, settings),
                                 DataColumns.Host(p, settings), DataColumns.Service(p, settings), p.Name, data[offset + i]])
                        AddValue(command, sql.Append(','), value);
                    sql.Append(')');
                }
                command.CommandText = sql.ToString();
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            // Exactly once: the batch id, in the same transaction; already there means already stored (the rollback is the dispose).
            if (!await _batches.ClaimAsync(connection, transaction, batchId, cancellationToken).ConfigureAwait(false)) return;
            if (summaries)
                await TraceSummaries.WriteAsync(connection, transaction, SqlFlavor.MySql, Profiler.Storage.TraceDigest.OfBatch(points, settings), cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw database.Failure(SqlOperation.Write, e);
        }
        await _batches.PruneIfDueAsync(connection, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Splits a batch into INSERTs of at most <see cref="RowsPerInsert"/> rows and about <see cref="MaxInsertBytes"/> bytes.</summary>
    internal static List<(int Offset, int Count)> SplitInserts(IReadOnlyList<TracePoint> points, string[] data)
    {
        var result = new List<(int, int)>();
        int start = 0, rows = 0;
        long bytes = 0;
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            // Upper bound of what the row takes in the statement: every value escaped, plus some syntax.
            var size = 128L + 2L * ((p.BaseId?.Length ?? 0) + (p.ParentId?.Length ?? 0) + (p.TraceId?.Length ?? 0) + (p.Name?.Length ?? 0)
                                    + (p.Project?.Length ?? 0) + (p.Service?.Length ?? 0) + (p.Host?.Length ?? 0) + data[i].Length);
            if (rows > 0 && (rows == RowsPerInsert || bytes + size > MaxInsertBytes))
            {
                result.Add((start, rows));
                start = i;
                rows = 0;
                bytes = 0;
            }
            rows++;
            bytes += size;
        }
        result.Add((start, rows));
        return result;
    }

    /// <summary>Binds a value as <c>@pn</c> and appends its placeholder.</summary>
    private static void AddValue(DbCommand command, StringBuilder sql, string? value)
    {
        var p = command.CreateParameter();
        p.DbType = DbType.String;
        p.Value = (object?)value ?? DBNull.Value;
        var n = command.Parameters.Count;
        p.ParameterName = "@p" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        sql.Append("@p").Append(n);
        command.Parameters.Add(p);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
