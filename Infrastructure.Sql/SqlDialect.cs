using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Profiler.Domain;

namespace Profiler.Infrastructure.Sql;

/// <summary>What a store was doing when the server failed; decides which privilege a refusal is about.</summary>
public enum SqlOperation
{
    /// <summary>Opening a connection and checking the server.</summary>
    Connect,
    /// <summary>Creating the missing <c>data</c> table and its indexes (needs CREATE, and INDEX on MySQL).</summary>
    CreateTable,
    /// <summary>Inserting trace points (needs INSERT).</summary>
    Write,
    /// <summary>Deleting traces (needs DELETE): <c>profiler bench --cleanup</c>.</summary>
    Delete,
    /// <summary>Reading or listing traces (needs SELECT).</summary>
    Read,
}

/// <summary>What differs between SQL servers; everything else is shared by <see cref="SqlTraceStore"/>.</summary>
public abstract class SqlDialect
{
    /// <summary>Column type of <c>data</c>: JSON (SQLAlchemy's <c>JSON</c>).</summary>
    public abstract string JsonColumnType { get; }

    /// <summary>The <c>data</c> column as text for <c>LIKE</c>.</summary>
    public virtual string DataAsText => "data";

    /// <summary>A parameter bound to the JSON <c>data</c> column (a cast where the server needs one).</summary>
    public virtual string JsonValue(string parameter) => parameter;

    /// <summary>Quotes an identifier.</summary>
    public virtual string Quote(string identifier) => $"\"{identifier}\"";

    /// <summary>Configures EF Core for this server. Throws <see cref="FormatException"/> for options it cannot accept.</summary>
    public abstract void Configure(DbContextOptionsBuilder builder, ConnectionString connectionString);

    /// <summary>Server-specific touches to the shared model (e.g. SERIAL ids as SQLAlchemy creates them).</summary>
    public virtual void ConfigureModel(ModelBuilder modelBuilder) { }

    /// <summary>Whether table <c>data</c> exists.</summary>
    public abstract Task<bool> TableExistsAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Runs on every opened connection (session settings).</summary>
    public virtual Task OnConnectionOpenedAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Checks the server before first use (version, privileges); throws a clear error.</summary>
    public virtual Task CheckServerAsync(DbConnection connection, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Makes the generated DDL idempotent where the server allows it.</summary>
    public virtual string AdaptDdl(string statement) => statement
        .Replace("CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", StringComparison.Ordinal)
        .Replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", StringComparison.Ordinal);

    /// <summary>
    /// Whether a DDL failure only says the object is already there (another process created it meanwhile, on a
    /// server without <c>IF NOT EXISTS</c> for that statement); such failures are ignored.
    /// </summary>
    public virtual bool IsAlreadyExists(DbException exception) => false;

    /// <summary>Whether INSERT values bind by position (<c>$1</c>, <c>$2</c> …, unnamed parameters) rather than by name (<c>@p0</c>).</summary>
    public virtual bool PositionalParameters => false;

    /// <summary>Most rows in one multi-row INSERT (9 parameters a row).</summary>
    public virtual int RowsPerInsert => 500;

    /// <summary>Most bytes of values in one INSERT statement (keeps a statement under the server's packet size).</summary>
    public virtual long MaxInsertBytes => long.MaxValue;

    /// <summary>
    /// Writes <paramref name="rows"/> (values in the order of <paramref name="columns"/>, <c>data</c> last, its JSON text)
    /// into table <c>data</c> as one statement, all or none, by the server's bulk path; false when the server has none
    /// and multi-row INSERTs are used instead.
    /// </summary>
    public virtual Task<bool> TryBulkInsertAsync(DbConnection connection, string columns, IReadOnlyList<string?[]> rows,
        CancellationToken cancellationToken) => Task.FromResult(false);

    /// <summary>Whether <see cref="TryBulkInsertAsync"/> is implemented (the rows are only built then).</summary>
    public virtual bool HasBulkInsert => false;

    /// <summary>
    /// Whether concurrent writes are committed together (<c>SqlTraceStore</c>'s group commit): for an embedded
    /// database that takes one writer at a time anyway.
    /// </summary>
    public virtual bool GroupsCommits => false;

    /// <summary>Runs after each committed write of <paramref name="rows"/> rows (maintenance such as checkpoints); never throws.</summary>
    public virtual Task AfterCommitAsync(int rows) => Task.CompletedTask;

    /// <summary>Waits for maintenance this dialect started; called when its store is disposed.</summary>
    public virtual Task StopAsync() => Task.CompletedTask;

    /// <summary>How to describe the store in messages (no password).</summary>
    public abstract string Describe(ConnectionString connectionString);

    /// <summary>Turns a provider exception into a user-facing message, or null to use the provider's message.</summary>
    public virtual string? Explain(Exception exception, ConnectionString connectionString, SqlOperation operation) => null;
}
