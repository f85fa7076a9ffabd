using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// PostgreSQL's write path: binary <c>COPY data (…) FROM STDIN</c>, one statement a batch (stored whole or not at
/// all), no parameter objects, no SQL text per row, and the server skips parsing and planning. Needs only INSERT on
/// <c>data</c> (and USAGE on its id sequence), and on <c>profiler_batches</c>: the COPY runs in a transaction that
/// ends by recording the batch id (<see cref="SqlBatchLog"/>: exactly once). Points the table cannot hold
/// (<see cref="PointRefusals"/>) are left out and refused, the others stored.
/// </summary>
internal sealed class PostgresTraceWriter(SqlDatabase database) : ITraceWriter
{
    private readonly SqlBatchLog _batches = new(database);

    private const string Copy = "COPY data (" + DataColumns.Names + ") FROM STDIN (FORMAT BINARY)";

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken)
    {
        await using var db = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await _batches.EnsureTableAsync(connection, cancellationToken).ConfigureAwait(false);
        var data = OsProfilerData.EncodeAll(points);
        var settings = database.Settings;
        PointRefusals.Written written;
        try
        {
            // The summaries (TraceSummaries) are written in the same transaction as the rows and the batch id.
            var summaries = database.Summaries.Available;
            written = await PointRefusals.WriteAsync(points.Count,
                async token => await connection.BeginTransactionAsync(token).ConfigureAwait(false),
                (_, rows, token) => CopyAsync(connection, points, data, rows, settings, token),
                async (transaction, refused, token) =>
                {
                    // Exactly once: the batch id, in the same transaction; already there means already stored (the rollback is the dispose).
                    if (!await _batches.ClaimAsync(connection, transaction, batchId, token).ConfigureAwait(false)) return false;
                    var stored = refused is null ? points : PointRefusals.Accepted(points, refused);
                    if (summaries && stored.Count > 0)
                        await TraceSummaries.WriteAsync(connection, transaction, SqlFlavor.Postgres, Profiler.Storage.TraceDigest.OfBatch(stored, settings), token).ConfigureAwait(false);
                    await transaction.CommitAsync(token).ConfigureAwait(false);
                    return true;
                }, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw database.Failure(SqlOperation.Write, e);
        }
        if (written.Stored) await _batches.PruneIfDueAsync(connection, cancellationToken).ConfigureAwait(false);
        written.ThrowIfRefused(database, points);
    }

    /// <summary>One binary COPY of the points at <paramref name="rows"/> (positions in the batch; null: all), in that order.</summary>
    private static async Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<TracePoint> points, string[] data,
        IReadOnlyList<int>? rows, DriverSettings settings, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(Copy, cancellationToken).ConfigureAwait(false);
        for (var r = 0; r < (rows?.Count ?? points.Count); r++)
        {
            var i = rows?[r] ?? r;
            var p = points[i];
            await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            foreach (var value in new[] { p.Timestamp, p.BaseId, p.ParentId, p.TraceId, DataColumns.Project(p, settings),
                         DataColumns.Host(p, settings), DataColumns.Service(p, settings), p.Name })
            {
                if (value is null) await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                else await importer.WriteAsync(value, NpgsqlDbType.Varchar, cancellationToken).ConfigureAwait(false);
            }
            await importer.WriteAsync(data[i], NpgsqlDbType.Json, cancellationToken).ConfigureAwait(false);
        }
        await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
