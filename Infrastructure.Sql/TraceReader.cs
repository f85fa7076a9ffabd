using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// Streams a trace's rows in the order they were stored, through a sequential data reader. A query that times out
/// before its first row is sent once more (<see cref="SqlDatabase.RetryTimedOutAsync"/>); once rows have come, a
/// failure is final (a retry would hand out points twice). Only the rows of exactly that id: on MySQL not those of an
/// id differing in case (<see cref="SqlDialect.BaseIdEquals"/>).
/// </summary>
internal sealed class TraceReader(SqlDatabase database)
{
    public async IAsyncEnumerable<StoredPoint> ReadAsync(string baseId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (db, command, reader) = await database.RetryTimedOutAsync(token => ExecuteAsync(baseId, token), cancellationToken).ConfigureAwait(false);
        await using (db)
        await using (command)
        await using (reader)
        {
            var pool = new StringPool(); // texts repeated across the trace's rows held once
            while (await NextAsync(reader, cancellationToken).ConfigureAwait(false))
            {
                string? Get(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
                string? name = Get(0), traceId = Get(1), parentId = Get(2), timestamp = Get(3), project = Get(4),
                    service = Get(5), host = Get(6), data = Get(7);
                var decoded = OsProfilerData.Decode(data);
                yield return decoded is null
                    ? StoredPoint.Unreadable($"column 'data' of point '{TracePointRules.Show(traceId)}' is not JSON")
                    : StoredPoint.FromColumns(name, traceId, parentId, timestamp, project, service, host, decoded, pool);
            }
        }
    }

    /// <summary>One attempt: a connection of its own and the query running on it, all disposed when it fails.</summary>
    private async Task<(TraceDbContext Db, DbCommand Command, DbDataReader Reader)> ExecuteAsync(string baseId, CancellationToken cancellationToken)
    {
        var db = await database.OpenForReadAsync(cancellationToken).ConfigureAwait(false);
        DbCommand? command = null;
        try
        {
            command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText =
                $"SELECT name, trace_id, parent_id, timestamp, project, service, host, {database.Dialect.DataAsText} FROM data WHERE {database.Dialect.BaseIdEquals("base_id", "@base_id")} ORDER BY id";
            SqlParameters.Add(command, "@base_id", baseId);
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
            return (db, command, reader);
        }
        catch
        {
            if (command is not null) await command.DisposeAsync().ConfigureAwait(false);
            await db.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<bool> NextAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw database.Failure(SqlOperation.Read, e);
        }
    }
}
