using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>The driver contract on a real MariaDB: a fresh database per store.</summary>
[Collection(MariaDbCollection.Name)]
public sealed class MariaDbTraceStoreTests(MariaDbServer server) : TraceStoreContract
{
    // Delete, pin, prune and statistics (issue 15).
    protected override bool SupportsLifecycle => true;

    // Filters, counts and summaries (issue 16, docs/search.md).
    protected override bool SupportsSearch => true;

    protected override string FixtureBackend => "mysql";

    private readonly Dictionary<ITraceStore, string> _urls = [];

    protected override Task<ITraceStore> CreateStoreAsync(DriverSettings settings)
    {
        var url = server.Url(server.CreateDatabase());
        var store = new MySqlDriver().Open(ConnectionString.Parse(url), settings);
        _urls[store] = url;
        return Task.FromResult(store);
    }

    protected override Task WriteAsOsProfilerAsync(ITraceStore store, IReadOnlyList<TracePoint> points) =>
        OsProfilerRows.InsertAsync(_urls[store], points);
}

/// <summary>The driver contract on a real PostgreSQL: a fresh database per store.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresTraceStoreTests(PostgresServer server) : TraceStoreContract
{
    // Delete, pin, prune and statistics (issue 15).
    protected override bool SupportsLifecycle => true;

    // Filters, counts and summaries (issue 16, docs/search.md).
    protected override bool SupportsSearch => true;

    protected override string FixtureBackend => "mysql";

    private readonly Dictionary<ITraceStore, string> _urls = [];

    protected override Task<ITraceStore> CreateStoreAsync(DriverSettings settings)
    {
        var url = server.Url(server.CreateDatabase());
        var store = new PostgresDriver().Open(ConnectionString.Parse(url), settings);
        _urls[store] = url;
        return Task.FromResult(store);
    }

    protected override Task WriteAsOsProfilerAsync(ITraceStore store, IReadOnlyList<TracePoint> points) =>
        OsProfilerRows.InsertAsync(_urls[store], points);
}
