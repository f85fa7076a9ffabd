using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Sql.Tests;

/// <summary>The driver contract on SQLite: a fresh database file per test.</summary>
public sealed class SqliteTraceStoreTests : TraceStoreContract, IDisposable
{
    // Delete, pin, prune and statistics (issue 15).
    protected override bool SupportsLifecycle => true;

    // Filters, counts and summaries (issue 16, docs/search.md).
    protected override bool SupportsSearch => true;

    private readonly TempDirectory _dir = new();

    protected override string FixtureBackend => "mysql";

    private readonly Dictionary<ITraceStore, string> _urls = [];

    protected override Task<ITraceStore> CreateStoreAsync(DriverSettings settings)
    {
        var url = $"sqlite:///{_dir.Path}/{Guid.NewGuid():N}.db";
        var store = new SqliteDriver().Open(ConnectionString.Parse(url), settings);
        _urls[store] = url;
        return Task.FromResult(store);
    }

    protected override Task WriteAsOsProfilerAsync(ITraceStore store, IReadOnlyList<TracePoint> points) =>
        OsProfilerRows.InsertAsync(_urls[store], points);

    public void Dispose() => _dir.Dispose();
}
