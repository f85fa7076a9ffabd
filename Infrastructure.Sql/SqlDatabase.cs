using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// One store's database: opens connections (the schema made ready on first use) and turns provider failures into
/// <see cref="TraceStoreException"/>s that name the store, never its password. Shared by the store's parts.
/// </summary>
internal sealed class SqlDatabase : IDisposable
{
    private readonly string _providerConnectionString;
    private readonly string _writerConnectionString;
    private readonly SqlSchema _schema;

    public SqlDatabase(SqlDialect dialect, ConnectionString connectionString, DriverSettings settings)
    {
        Dialect = dialect;
        ConnectionString = connectionString;
        Settings = settings;
        Logger = settings.LoggerFactory.CreateLogger<SqlTraceStore>();
        _providerConnectionString = dialect.ProviderConnectionString(connectionString);
        _writerConnectionString = dialect.WriterConnectionString(_providerConnectionString);
        Description = dialect.Describe(connectionString);
        _schema = new SqlSchema(this);
        Summaries = new TraceSummaries(this);
    }

    public SqlDialect Dialect { get; }

    /// <summary>The store's per-trace summaries (search; docs/search.md).</summary>
    public TraceSummaries Summaries { get; }

    public ConnectionString ConnectionString { get; }

    public DriverSettings Settings { get; }

    public ILogger Logger { get; }

    /// <summary>The store as messages name it (no password).</summary>
    public string Description { get; }

    /// <summary>
    /// An open connection, in a context the caller disposes; the server checked and table <c>data</c> created on the
    /// first call. Failures are <see cref="TraceStoreException"/>s. A writer's connection (<paramref name="forWriting"/>)
    /// comes from <see cref="SqlDialect.WriterConnectionString"/>.
    /// </summary>
    public async Task<TraceDbContext> OpenAsync(CancellationToken cancellationToken, bool forWriting = false)
    {
        var db = new TraceDbContext(Dialect.CreateConnection(forWriting ? _writerConnectionString : _providerConnectionString), Dialect);
        try
        {
            await db.Database.GetDbConnection().OpenAsync(cancellationToken).ConfigureAwait(false);
            await Dialect.OnConnectionOpenedAsync(db.Database.GetDbConnection(), cancellationToken).ConfigureAwait(false);
            await _schema.EnsureAsync(db, cancellationToken).ConfigureAwait(false);
            return db;
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
    /// </summary>
    public TraceStoreException Failure(SqlOperation operation, Exception e)
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
        var reason = ConnectionString.ScrubPassword(Dialect.Explain(e, ConnectionString, operation) ?? e.Message);
        return new TraceStoreException($"Could not {action} {Description}: {reason}", e);
    }

    public void Dispose() => _schema.Dispose();
}
