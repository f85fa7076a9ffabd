using Profiler.Domain;
using Profiler.Storage;
using System.Runtime.CompilerServices;
using Profiler.Threading;

namespace Profiler.Infrastructure.Sql;

/// <summary>
/// OSProfiler's SQL collector (docs/osprofiler-formats.md §3): the <c>data</c> table, created with its indexes when missing
/// (<see cref="SqlSchema"/>); writes by the server's own writer (<see cref="SqlDialect.CreateWriter"/>); reads, listing
/// and deletes by SQL shared by every server (<see cref="TraceReader"/>, <see cref="TraceLister"/>, <see cref="TraceCleanup"/>);
/// pins, pruning and statistics too (<see cref="TraceLifecycle"/>).
/// </summary>
internal sealed class SqlTraceStore : ITraceStore, ITraceStoreCleanup, ITraceStorePinning, ITraceStorePruning, ITraceStoreStatistics,
    ITraceStoreSearch
{
    private readonly SqlDatabase _database;
    private readonly ITraceWriter _writer;
    private readonly TraceReader _reader;
    private readonly TraceLister _lister;
    private readonly TraceCleanup _cleanup;
    private readonly TraceLifecycle _lifecycle;

    /// <summary>
    /// A store that connects on first use; throws <see cref="FormatException"/> for options the dialect refuses and for
    /// a <c>ttl</c> option that is not a duration (<see cref="RetentionPeriod"/>).
    /// </summary>
    public SqlTraceStore(SqlDialect dialect, ConnectionString connectionString, DriverSettings settings)
    {
        Ttl = connectionString.GetPeriod("ttl") ?? settings.Ttl;
        var database = _database = new SqlDatabase(dialect, connectionString, settings);
        _writer = dialect.CreateWriter(database);
        _reader = new TraceReader(database);
        _lister = new TraceLister(database);
        _lifecycle = new TraceLifecycle(database);
        _cleanup = new TraceCleanup(database, _lifecycle);
    }

    /// <summary>
    /// How long traces are kept: the connection string's <c>ttl</c> option, else <see cref="DriverSettings.Ttl"/>; null
    /// (the default) keeps them forever. The store does not prune by itself: its host calls
    /// <see cref="PruneAsync"/> with <c>now - Ttl</c> from time to time.
    /// </summary>
    public TimeSpan? Ttl { get; }

    public Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken) =>
        points.Count == 0 ? Task.CompletedTask : _writer.WriteAsync(points, batchId, cancellationToken);

    public IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, CancellationToken cancellationToken) =>
        _reader.ReadAsync(baseId, cancellationToken);

    public Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken) =>
        _lister.ListAsync(query, cancellationToken);

    public Task<long> CountTracesAsync(TraceListQuery query, CancellationToken cancellationToken) =>
        _lister.CountAsync(query, cancellationToken);

    public Task<long> ReindexAsync(CancellationToken cancellationToken) => _lister.ReindexAsync(cancellationToken);

    public Task<int> DeleteTracesAsync(IReadOnlyList<string> baseIds, CancellationToken cancellationToken) =>
        _cleanup.DeleteAsync(baseIds, cancellationToken);

    public Task<bool> SetPinnedAsync(string baseId, bool pinned, CancellationToken cancellationToken) =>
        _lifecycle.SetPinnedAsync(baseId, pinned, cancellationToken);

    public Task<IReadOnlyList<string>> ListPinnedAsync(CancellationToken cancellationToken) =>
        _lifecycle.ListPinnedAsync(cancellationToken);

    public Task<PruneResult> PruneAsync(DateTime cutoff, bool dryRun, CancellationToken cancellationToken) =>
        _lifecycle.PruneAsync(cutoff, dryRun, cancellationToken);

    public Task<TraceStoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken) =>
        _lifecycle.GetStatisticsAsync(cancellationToken);

    /// <summary>Waits for the writer's background work (SQLite's checkpoint); pooled connections stay with the provider.</summary>
    [AsyncMethodBuilder(typeof(InlineStartValueTaskBuilder))]
    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        _database.Dispose();
    }
}
