using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// OSProfiler's SQL collector (docs/osprofiler-formats.md §3): the <c>data</c> table, created with its indexes when missing
/// (<see cref="SqlSchema"/>); writes by the server's own writer (<see cref="SqlDialect.CreateWriter"/>); reads, listing
/// and deletes by SQL shared by every server (<see cref="TraceReader"/>, <see cref="TraceLister"/>, <see cref="TraceCleanup"/>).
/// </summary>
internal sealed class SqlTraceStore : ITraceStore, ITraceStoreCleanup
{
    private readonly SqlDatabase _database;
    private readonly ITraceWriter _writer;
    private readonly TraceReader _reader;
    private readonly TraceLister _lister;
    private readonly TraceCleanup _cleanup;

    /// <summary>A store that connects on first use; throws <see cref="FormatException"/> for options the dialect refuses.</summary>
    public SqlTraceStore(SqlDialect dialect, ConnectionString connectionString, DriverSettings settings)
    {
        var database = _database = new SqlDatabase(dialect, connectionString, settings);
        _writer = dialect.CreateWriter(database);
        _reader = new TraceReader(database);
        _lister = new TraceLister(database);
        _cleanup = new TraceCleanup(database);
    }

    public Task WriteAsync(IReadOnlyList<TracePoint> points, CancellationToken cancellationToken) =>
        points.Count == 0 ? Task.CompletedTask : _writer.WriteAsync(points, cancellationToken);

    public IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, CancellationToken cancellationToken) =>
        _reader.ReadAsync(baseId, cancellationToken);

    public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) =>
        _lister.ListAsync(query, cancellationToken);

    public Task<int> DeleteTracesAsync(IReadOnlyList<string> baseIds, CancellationToken cancellationToken) =>
        _cleanup.DeleteAsync(baseIds, cancellationToken);

    /// <summary>Waits for the writer's background work (SQLite's checkpoint); pooled connections stay with the provider.</summary>
    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        _database.Dispose();
    }
}
