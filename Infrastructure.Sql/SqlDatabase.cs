using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Profiler.Domain;
using Profiler.Storage;
using System.Runtime.CompilerServices;
using Profiler.Threading;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// One store's database: opens connections (the schema made ready on first use) and turns provider failures into
/// <see cref="TraceStoreException"/>s that name the store, never its password. Shared by the store's parts.
/// </summary>
internal sealed class SqlDatabase : IDisposable
{
    // Made once a store, when first needed (SqlDialect.Prepare); a race makes the same strings twice.
    private string? _providerConnectionString;
    private string? _writerConnectionString;
    private readonly SqlSchema _schema;

    public SqlDatabase(SqlDialect dialect, ConnectionString connectionString, DriverSettings settings)
    {
        Dialect = dialect;
        ConnectionString = connectionString;
        Settings = settings;
        Logger = settings.LoggerFactory.CreateLogger<SqlTraceStore>();
        // Made (and the URL's options checked) now, unless the dialect checked them itself and makes it when first used.
        if (!dialect.Prepare(connectionString)) MakeProviderConnectionStrings();
        Description = dialect.Describe(connectionString);
        Timeout = dialect.Timeout(connectionString);
        _schema = new SqlSchema(this);
        Summaries = new TraceSummaries(this);
    }

    public SqlDialect Dialect { get; }

    /// <summary>The provider's connection string (<see cref="SqlDialect.ProviderConnectionString"/>).</summary>
    public string ProviderConnectionString => _providerConnectionString ?? MakeProviderConnectionStrings();

    /// <summary>The writer's connection string (<see cref="SqlDialect.WriterConnectionString"/>).</summary>
    private string WriterConnectionString
    {
        get
        {
            if (_writerConnectionString is null) MakeProviderConnectionStrings();
            return _writerConnectionString!;
        }
    }

    /// <summary>Makes both provider connection strings; returns the provider's.</summary>
    private string MakeProviderConnectionStrings()
    {
        var provider = Dialect.ProviderConnectionString(ConnectionString);
        _writerConnectionString = Dialect.WriterConnectionString(provider);
        return _providerConnectionString = provider;
    }

    /// <summary>The store's per-trace summaries (search; docs/search.md).</summary>
    public TraceSummaries Summaries { get; }

    public ConnectionString ConnectionString { get; }

    public DriverSettings Settings { get; }

    public ILogger Logger { get; }

    /// <summary>The store as messages name it (no password).</summary>
    public string Description { get; }

    /// <summary>The store's command timeout and the URL option that raises it.</summary>
    public SqlTimeout Timeout { get; }

    /// <summary>
    /// An open connection, in a context the caller disposes; the server checked and table <c>data</c> created on the
    /// first call. Failures are <see cref="TraceStoreException"/>s. A writer's connection (<paramref name="forWriting"/>)
    /// comes from <see cref="SqlDialect.WriterConnectionString"/>.
    /// </summary>
    public Task<TraceDbContext> OpenAsync(CancellationToken cancellationToken, bool forWriting = false) =>
        OpenCoreAsync(forWriting, forReading: false, cancellationToken);

    /// <summary><see cref="OpenAsync"/>, and for reads <see cref="OpenForReadAsync"/>.</summary>
    /// <param name="forWriting">Whether the connection is a writer's.</param>
    /// <param name="forReading">
    /// Whether the connection is a read's (<see cref="OpenForReadAsync"/>): the dialect's read connection
    /// (<see cref="SqlDialect.CreateReadConnection"/>) where it has one; and a command that runs out of the timeout once
    /// the connection is open (session settings, the checks of the first use; SQLite's PRAGMAs wait for another
    /// connection's lock) is thrown as the provider's exception, for <see cref="RetryTimedOutAsync"/> to see, instead of a
    /// <see cref="TraceStoreException"/>.
    /// </param>
    /// <param name="cancellationToken">Cancels the open.</param>
    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    private async Task<TraceDbContext> OpenCoreAsync(bool forWriting, bool forReading, CancellationToken cancellationToken)
    {
        var connection = forReading ? Dialect.CreateReadConnection(ConnectionString) : null;
        connection ??= Dialect.CreateConnection(forWriting ? WriterConnectionString : ProviderConnectionString);
        var db = new TraceDbContext(connection, Dialect);
        var opened = false;
        try
        {
            await db.Database.GetDbConnection().OpenAsync(cancellationToken).ConfigureAwait(false);
            opened = true;
            await Dialect.OnConnectionOpenedAsync(db.Database.GetDbConnection(), cancellationToken).ConfigureAwait(false);
            await _schema.EnsureAsync(db, cancellationToken).ConfigureAwait(false);
            return db;
        }
        catch (Exception e) when (forReading && opened && Dialect.IsTimeout(Cause(e)))
        {
            await db.DisposeAsync().ConfigureAwait(false);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(Cause(e));
            throw;
        }
        catch (SqlSchema.SetupException e)
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw Failure(SqlOperation.CreateTable, e.InnerException!);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw Failure(SqlOperation.Connect, e);
        }
        catch
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The provider's exception under a failure of the first use's checks.</summary>
    private static Exception Cause(Exception e) => e is SqlSchema.SetupException ? e.InnerException! : e;

    /// <summary>
    /// <see cref="OpenAsync"/> for a read's attempt under <see cref="RetryTimedOutAsync"/>: a timeout once the
    /// connection is open comes out as the provider's exception, to be retried.
    /// </summary>
    public Task<TraceDbContext> OpenForReadAsync(CancellationToken cancellationToken) =>
        OpenCoreAsync(forWriting: false, forReading: true, cancellationToken);

    /// <summary>
    /// Runs <paramref name="read"/> (SELECTs only, or work as safe to repeat) on a connection of its own
    /// (<see cref="OpenForReadAsync"/>), through <see cref="RetryTimedOutAsync"/>: a read that runs out of the command timeout
    /// is run once more on a fresh connection.
    /// </summary>
    public Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> read, CancellationToken cancellationToken) =>
        RetryTimedOutAsync([AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))] async Task<T> (token) =>
        {
            await using var db = await OpenForReadAsync(token).ConfigureAwait(false);
            return await read(db.Database.GetDbConnection(), token).ConfigureAwait(false);
        }, cancellationToken);

    /// <summary>
    /// Runs a read's <paramref name="attempt"/> (which opens its own connection) and, when it ran out of the command
    /// timeout (<see cref="SqlDialect.IsTimeout"/>: a busy machine or server, a table another session holds locked), runs
    /// it once more, with a warning naming the store and the timeout. A second timeout fails with a
    /// <see cref="TraceStoreException"/> that names the timeout and the URL option that raises it; any other failure is
    /// not retried (<see cref="Failure"/>). Writes do not come here: a writer retries a batch its own, exactly-once way.
    /// </summary>
    [AsyncMethodBuilder(typeof(InlineStartTaskBuilder<>))]
    public async Task<T> RetryTimedOutAsync<T>(Func<CancellationToken, Task<T>> attempt, CancellationToken cancellationToken)
    {
        try
        {
            return await attempt(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Dialect.IsTimeout(e))
        {
            Log.RetryingTimedOutRead(Logger, Description, Timeout.Seconds, Timeout.ToString());
        }
        catch (DbException e)
        {
            throw Failure(SqlOperation.Read, e);
        }
        try
        {
            return await attempt(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException || Dialect.IsTimeout(e))
        {
            throw Failure(SqlOperation.Read, e, retried: true);
        }
    }

    /// <summary>
    /// The EF Core model of table <c>data</c> for this server, built now (costly: only to generate the DDL of a
    /// missing table). The caller disposes it.
    /// </summary>
    public TraceModelContext CreateModelContext()
    {
        var builder = new DbContextOptionsBuilder<TraceModelContext>();
        Dialect.Configure(builder, ConnectionString);
        return new TraceModelContext(builder.Options, Dialect);
    }

    /// <summary>
    /// The user-facing failure of <paramref name="operation"/>: what was being done, to which store, and why (the
    /// dialect's explanation, else the provider's message), the password scrubbed by <see cref="Profiler.Domain.ConnectionString.ScrubPassword"/>.
    /// A command that ran out of its timeout is told as such, with the URL option that raises it and its value;
    /// <paramref name="retried"/> says the read was sent twice.
    /// </summary>
    public TraceStoreException Failure(SqlOperation operation, Exception e, bool retried = false)
    {
        if (e is TraceStoreException t) return t;
        var action = operation switch
        {
            SqlOperation.Connect => "connect to",
            SqlOperation.CreateTable => "create table data in",
            SqlOperation.Write => "write trace points to",
            SqlOperation.Delete => "delete traces from",
            SqlOperation.CreatePinTable => "create table profiler_pins in",
            SqlOperation.Pin => "pin traces in",
            SqlOperation.CreateBatchTable => "create table profiler_batches in",
            SqlOperation.ClaimBatch => "write trace points to",
            _ => "read traces from",
        };
        var reason = operation != SqlOperation.Connect && Dialect.IsTimeout(e)
            ? TimedOut(retried)
            : ConnectionString.ScrubPassword(Dialect.Explain(e, ConnectionString, operation) ?? e.Message);
        return new TraceStoreException($"Could not {action} {Description}: {reason}", e);
    }

    /// <summary>Why a command that ran out of its timeout failed, and which URL option to raise.</summary>
    private string TimedOut(bool retried)
    {
        var seconds = Timeout.Seconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        return $"the database did not answer within {seconds} s{(retried ? ", twice" : "")} ({Timeout}). If it is only slow " +
               "(a busy machine or server, or a table another session holds locked), raise the timeout with " +
               $"?{Timeout.Option}=<seconds> (at most 3600) in the connection string.";
    }

    public void Dispose() => _schema.Dispose();
}
