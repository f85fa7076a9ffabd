using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using Profiler.Domain;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// PostgreSQL's write path: binary <c>COPY data (…) FROM STDIN</c>, one statement a batch (stored whole or not at
/// all), no parameter objects, no SQL text per row, and the server skips parsing and planning. Needs only INSERT on
/// <c>data</c> (and USAGE on its id sequence).
/// </summary>
internal sealed class PostgresTraceWriter(SqlDatabase database) : ITraceWriter
{
    private const string Copy = "COPY data (" + DataColumns.Names + ") FROM STDIN (FORMAT BINARY)";

    public async Task WriteAsync(IReadOnlyList<TracePoint> points, CancellationToken cancellationToken)
    {
        await using var db = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var data = OsProfilerData.EncodeAll(points);
        var settings = database.Settings;
        try
        {
            // The summaries (TraceSummaries) are written in the same transaction as the rows.
            var summaries = database.Summaries.Available;
            await using var transaction = summaries ? await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false) : null;
            var importer = await connection.BeginBinaryImportAsync(Copy, cancellationToken).ConfigureAwait(false);
            await using (importer)
            {
                for (var i = 0; i < points.Count; i++)
                {
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
            if (transaction is not null)
            {
                await TraceSummaries.WriteAsync(connection, transaction, SqlFlavor.Postgres, Profiler.Storage.TraceDigest.OfBatch(points, settings), cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (DbException e)
        {
            throw database.Failure(SqlOperation.Write, e);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
