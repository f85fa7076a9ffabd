using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using System.Runtime.CompilerServices;
using Profiler.Threading;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// Makes a database ready, once a store: checks the server (its version; <see cref="SqlDialect.CheckServerAsync"/>),
/// then creates table <c>data</c> and its indexes from the EF Core model when the table is missing (as OSProfiler's
/// SQLAlchemy <c>create_all</c> does; docs/osprofiler-formats.md §3). A table that exists is used as it is, and costs
/// one plain query: the EF Core model is built only when DDL is needed. The summary tables' step
/// (<see cref="TraceSummaries.EnsureSchemaAsync"/>) runs again on the next use after a failure that may pass (a lock,
/// a dropped connection), until it succeeds or fails for good (<see cref="TraceSummaries.Settled"/>).
/// </summary>
internal sealed class SqlSchema(SqlDatabase database) : IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile bool _ready;

    /// <summary>Whether the server was checked and table <c>data</c> is there (the summary step may still be pending).</summary>
    private bool _dataReady;

    /// <summary>Checks and creates on the first call (the summary step until settled); later calls return at once. DDL failures are <see cref="SetupException"/>s.</summary>
    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder))]
    public async Task EnsureAsync(TraceDbContext db, CancellationToken cancellationToken)
    {
        if (_ready) return;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ready) return;
            var dialect = database.Dialect;
            var connection = db.Database.GetDbConnection();
            if (!_dataReady)
            {
                await dialect.CheckServerAsync(connection, cancellationToken).ConfigureAwait(false);
                if (!await dialect.TableExistsAsync(connection, cancellationToken).ConfigureAwait(false))
                    await CreateTableAsync(db, connection, cancellationToken).ConfigureAwait(false);
                _dataReady = true;
            }
            // A passing failure of the summary step (a lock, a dropped connection) leaves it for the next use to retry.
            await database.Summaries.EnsureSchemaAsync(connection, cancellationToken).ConfigureAwait(false);
            _ready = database.Summaries.Settled;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task CreateTableAsync(TraceDbContext db, DbConnection connection, CancellationToken cancellationToken)
    {
        Log.CreatingTable(database.Logger, database.Description);
        string script;
        using (var model = database.CreateModelContext()) script = model.Database.GenerateCreateScript();
        foreach (var statement in script
                     .Split(";", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                     .Where(s => s.Length > 0 && !s.StartsWith("--", StringComparison.Ordinal)))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = database.Dialect.AdaptDdl(statement);
            try
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DbException e) when (database.Dialect.IsAlreadyExists(e))
            {
                Log.SkippedDdl(database.Logger, command.CommandText, e.Message);
            }
            catch (DbException e)
            {
                throw new SetupException(e);
            }
        }
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>A DDL statement failed while creating the missing table.</summary>
    internal sealed class SetupException(DbException inner) : InvalidOperationException(inner.Message, inner);
}
