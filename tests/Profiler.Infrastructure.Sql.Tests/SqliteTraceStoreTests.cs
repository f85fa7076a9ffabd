using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>The driver contract on SQLite: a fresh database file per test.</summary>
public sealed class SqliteTraceStoreTests : TraceStoreContract, IDisposable
{
    // Delete, pin, prune and statistics (issue 15).
    protected override bool SupportsLifecycle => true;

    private readonly TempDirectory _dir = new();

    protected override string FixtureBackend => "mysql";

    protected override Task<ITraceStore> CreateStoreAsync(DriverSettings settings) =>
        Task.FromResult(new SqliteDriver().Open(
            ConnectionString.Parse($"sqlite:///{_dir.Path}/{Guid.NewGuid():N}.db"), settings));

    public void Dispose() => _dir.Dispose();
}
