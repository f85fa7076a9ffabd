using System.Data.Common;
using System.Globalization;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>Deletes whole traces (<see cref="ITraceStoreCleanup"/>): <c>profiler bench --cleanup</c>.</summary>
internal sealed class TraceCleanup(SqlDatabase database, TraceLifecycle lifecycle)
{
    /// <summary>
    /// Deletes the rows of each trace, <c>DELETE … WHERE base_id IN (…)</c> <see cref="SqlParameters.IdsPerStatement"/>
    /// ids a statement, in one transaction, with their pins; returns how many of the traces had rows. Ids that are no valid id are skipped.
    /// Ids are exact: on MySQL, deleting <c>Req-1</c> leaves <c>req-1</c> (<see cref="SqlDialect.BaseIdEquals"/>).
    /// </summary>
    public async Task<int> DeleteAsync(IReadOnlyList<string> baseIds, CancellationToken cancellationToken)
    {
        var ids = baseIds.Where(TracePointRules.IsSafeId).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0) return 0;
        await using var db = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var connection = db.Database.GetDbConnection();
        var dialect = database.Dialect;
        try
        {
            var found = 0;
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            foreach (var chunk in ids.Chunk(SqlParameters.IdsPerStatement))
            {
                await using var count = connection.CreateCommand();
                count.Transaction = transaction;
                count.CommandText = $"SELECT COUNT(DISTINCT {dialect.BaseIdKey("base_id")}) FROM data " +
                                    $"WHERE {dialect.BaseIdIn("base_id", SqlParameters.AddIds(count, chunk))}";
                found += Convert.ToInt32(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                await using var delete = connection.CreateCommand();
                delete.Transaction = transaction;
                delete.CommandText = $"DELETE FROM data WHERE {dialect.BaseIdIn("base_id", SqlParameters.AddIds(delete, chunk))}";
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await lifecycle.ForgetAsync(connection, transaction, chunk, cancellationToken).ConfigureAwait(false);
                await database.Summaries.ForgetAsync(connection, transaction, chunk, false, cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return found;
        }
        catch (DbException e)
        {
            throw database.Failure(SqlOperation.Delete, e);
        }
    }
}
