using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>Streams a trace's rows in the order they were stored, through a sequential data reader.</summary>
internal sealed class TraceReader(SqlDatabase database)
{
    public async IAsyncEnumerable<StoredPoint> ReadAsync(string baseId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var db = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText =
            $"SELECT name, trace_id, parent_id, timestamp, project, service, host, {database.Dialect.DataAsText} FROM data WHERE base_id = @base_id ORDER BY id";
        SqlParameters.Add(command, "@base_id", baseId);
        DbDataReader reader;
        try
        {
            reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw database.Failure(SqlOperation.Read, e);
        }
        var pool = new StringPool(); // texts repeated across the trace's rows held once
        await using (reader)
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
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
}
