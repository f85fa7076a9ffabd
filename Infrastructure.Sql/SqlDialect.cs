using System.Data;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Profiler.Domain;
using System.Runtime.CompilerServices;
using Profiler.Threading;

namespace Profiler.Infrastructure.Sql;

/// <summary>What a store was doing when the server failed; decides which privilege a refusal is about.</summary>
internal enum SqlOperation
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
    /// <summary>Creating the missing side table <c>profiler_pins</c> on the first pin (needs CREATE).</summary>
    CreatePinTable,
    /// <summary>Pinning or unpinning a trace (needs INSERT and DELETE on <c>profiler_pins</c>).</summary>
    Pin,
    /// <summary>Creating the missing side table <c>profiler_batches</c> on the first write (needs CREATE; <see cref="SqlBatchLog"/>).</summary>
    CreateBatchTable,
    /// <summary>Recording a batch id in <c>profiler_batches</c> (needs INSERT on it; <see cref="SqlBatchLog"/>).</summary>
    ClaimBatch,
}

/// <summary>
/// How long one command may run on a store before the provider gives up (<see cref="SqlDialect.Timeout"/>), and the
/// URL option that sets it (<c>read_timeout</c> on MySQL/MariaDB, <c>command_timeout</c> on PostgreSQL, <c>timeout</c>
/// on SQLite). <paramref name="Given"/> is false when the URL does not set it and the driver's default applies.
/// </summary>
internal readonly record struct SqlTimeout(double Seconds, string Option, bool Given)
{
    /// <summary>As messages show it: <c>read_timeout=30</c>, or <c>read_timeout not set: 30 s by default</c>.</summary>
    public override string ToString() =>
        Given ? FormattableString.Invariant($"{Option}={Seconds:0.###}") : FormattableString.Invariant($"{Option} not set: {Seconds:0.###} s by default");
}

/// <summary>
/// What differs between SQL servers in reaching them and shaping the table: connection options, session settings,
/// version check, DDL, error explanations, and the writer that inserts rows the server's fastest way. The reading,
/// listing and deleting SQL is shared (<see cref="SqlTraceStore"/>).
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>Column type of <c>data</c>: JSON (SQLAlchemy's <c>JSON</c>).</summary>
    public abstract string JsonColumnType { get; }

    /// <summary>The <c>data</c> column as text, for reading it and for <c>LIKE</c>.</summary>
    public virtual string DataAsText => "data";

    /// <summary>
    /// The provider's connection string for <paramref name="connectionString"/>, made once a store. Throws
    /// <see cref="FormatException"/> for options it cannot accept.
    /// </summary>
    public abstract string ProviderConnectionString(ConnectionString connectionString);

    /// <summary>
    /// The provider's connection string of the writer's connections (<see cref="SqlDatabase.OpenAsync"/> for writing),
    /// made once a store from <see cref="ProviderConnectionString"/>; by default the same.
    /// </summary>
    public virtual string WriterConnectionString(string providerConnectionString) => providerConnectionString;

    /// <summary>A new, closed connection (plain ADO.NET: opening a store builds no EF Core model).</summary>
    public abstract DbConnection CreateConnection(string providerConnectionString);

    /// <summary>
    /// Checks <paramref name="connectionString"/>'s options (throwing <see cref="FormatException"/>) and prepares what
    /// opening needs, when the store is opened; true when that is all the store needs up front, so that
    /// <see cref="ProviderConnectionString"/> may wait for the first connection that uses it. False by default: the
    /// provider's connection string is made, and so checked, when the store is opened.
    /// </summary>
    public virtual bool Prepare(ConnectionString connectionString) => false;

    /// <summary>
    /// A new, closed connection for a read (<see cref="SqlDatabase.OpenForReadAsync"/>) made by the dialect itself, or
    /// null (the default) for one of <see cref="CreateConnection"/>.
    /// </summary>
    public virtual DbConnection? CreateReadConnection(ConnectionString connectionString) => null;

    /// <summary>
    /// Configures EF Core for this server, which only generates the DDL of a missing table
    /// (<see cref="SqlSchema"/>). Throws <see cref="FormatException"/> for options it cannot accept.
    /// </summary>
    public abstract void Configure(DbContextOptionsBuilder builder, ConnectionString connectionString);

    /// <summary>Server-specific touches to the shared model (e.g. SERIAL ids as SQLAlchemy creates them).</summary>
    public virtual void ConfigureModel(ModelBuilder modelBuilder) { }

    /// <summary>The writer of this server's rows for one store.</summary>
    public abstract ITraceWriter CreateWriter(SqlDatabase database);

    /// <summary>Whether table <c>data</c> exists.</summary>
    public abstract Task<bool> TableExistsAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Whether table <paramref name="table"/> exists (in the schema the connection uses).</summary>
    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    public async Task<bool> HasTableAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = TableCountQuery;
        SqlParameters.Add(command, "@table", table);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false),
            System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Counts the tables named <c>@table</c> the connection sees (0 or 1).</summary>
    protected abstract string TableCountQuery { get; }

    /// <summary>Inserts the pin <c>(@base_id, @pinned_at)</c> into <c>profiler_pins</c>, doing nothing when it is there.</summary>
    public abstract string InsertPin { get; }

    /// <summary>One value: the bytes table <c>data</c> (with its indexes) or the database file takes, or NULL.</summary>
    public abstract string SizeQuery { get; }

    /// <summary>
    /// Isolation of a prune round's DELETE. READ COMMITTED by default: InnoDB then locks only the rows it deletes (no
    /// gap locks, and rows the scan passes over are released at once), so ingest goes on beside a prune.
    /// </summary>
    public virtual IsolationLevel PruneIsolation => IsolationLevel.ReadCommitted;

    /// <summary>
    /// <c>column = value</c> for base ids (<paramref name="value"/> a parameter or a column), telling ids that differ
    /// only in case apart: SQLite and PostgreSQL compare text exactly; MySQL/MariaDB override it.
    /// </summary>
    public virtual string BaseIdEquals(string column, string value) => $"{column} = {value}";

    /// <summary><c>column IN (list)</c> for base ids (<paramref name="list"/> the parameter list), exact as <see cref="BaseIdEquals"/>.</summary>
    public virtual string BaseIdIn(string column, string list) => $"{column} IN ({list})";

    /// <summary>
    /// The expression that tells base ids apart exactly, e.g. for <c>COUNT(DISTINCT …)</c> over rows a
    /// <see cref="BaseIdIn"/> or <see cref="BaseIdEquals"/> already found by the index: the column itself here.
    /// </summary>
    public virtual string BaseIdKey(string column) => column;

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

    /// <summary>How to describe the store in messages (no password).</summary>
    public abstract string Describe(ConnectionString connectionString);

    /// <summary>
    /// The command timeout of <paramref name="connectionString"/>'s store and the URL option that raises it. Throws
    /// <see cref="FormatException"/> for a bad value, as <see cref="ProviderConnectionString"/> does.
    /// </summary>
    public abstract SqlTimeout Timeout(ConnectionString connectionString);

    /// <summary>
    /// Whether <paramref name="exception"/> says a command ran out of <see cref="Timeout"/> (a busy machine or server, a
    /// lock held by another session): the same read sent again on a fresh connection may well succeed. Not a connect
    /// timeout: <see cref="SqlDatabase.OpenAsync"/> reports those.
    /// </summary>
    public abstract bool IsTimeout(Exception exception);

    /// <summary>Turns a provider exception into a user-facing message, or null to use the provider's message.</summary>
    public virtual string? Explain(Exception exception, ConnectionString connectionString, SqlOperation operation) => null;
}
