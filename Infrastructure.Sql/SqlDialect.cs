using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Profiler.Domain;

namespace Profiler.Infrastructure.Sql;

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

    /// <summary>Configures EF Core for this server.</summary>
    public abstract void Configure(DbContextOptionsBuilder builder, ConnectionString connectionString);

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

    /// <summary>Most rows in one multi-row INSERT.</summary>
    public virtual int RowsPerInsert => 500;

    /// <summary>How to describe the store in messages (no password).</summary>
    public abstract string Describe(ConnectionString connectionString);

    /// <summary>Turns a provider exception into a user-facing message, or null to use the default.</summary>
    public virtual string? Explain(Exception exception, ConnectionString connectionString) => null;
}
