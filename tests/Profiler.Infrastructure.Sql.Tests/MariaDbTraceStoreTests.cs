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

    protected override string FixtureBackend => "mysql";

    protected override Task<ITraceStore> CreateStoreAsync(DriverSettings settings) =>
        Task.FromResult(new MySqlDriver().Open(ConnectionString.Parse(server.Url(server.CreateDatabase())), settings));
}

/// <summary>The driver contract on a real PostgreSQL: a fresh database per store.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresTraceStoreTests(PostgresServer server) : TraceStoreContract
{
    // Delete, pin, prune and statistics (issue 15).
    protected override bool SupportsLifecycle => true;

    protected override string FixtureBackend => "mysql";

    protected override Task<ITraceStore> CreateStoreAsync(DriverSettings settings) =>
        Task.FromResult(new PostgresDriver().Open(ConnectionString.Parse(server.Url(server.CreateDatabase())), settings));
}
