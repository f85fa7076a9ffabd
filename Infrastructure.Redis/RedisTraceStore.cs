using Microsoft.Extensions.Logging;
using Profiler.Domain;
using Profiler.Storage;

namespace Profiler.Infrastructure.Redis;

/// <summary>
/// OSProfiler's Redis collector (docs/osprofiler-formats.md §2; key schema in <see cref="RedisSchema"/>): one connection, and the
/// <see cref="RedisTraceWriter">writer</see>, <see cref="RedisTraceReader">reader</see>,
/// <see cref="RedisTraceLister">lister</see>, <see cref="RedisTraceCleanup">cleanup</see> and
/// <see cref="RedisTraceLifecycle">pinning, pruning and statistics</see> sharing it.
/// </summary>
internal sealed class RedisTraceStore : ITraceStore, ITraceStoreCleanup, ITraceStorePinning, ITraceStorePruning, ITraceStoreStatistics,
    ITraceStoreSearch
{
    private readonly RedisStoreOptions _options;
    private readonly RedisConnection _connection;
    private readonly RedisTraceWriter _writer;
    private readonly RedisTraceReader _reader;
    private readonly RedisTraceLister _lister;
    private readonly RedisTraceCleanup _cleanup;
    private readonly RedisTraceLifecycle _lifecycle;
    private readonly RedisSearch _search;

    public RedisTraceStore(RedisStoreOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        var logger = loggerFactory.CreateLogger<RedisTraceStore>();
        _connection = new RedisConnection(options, logger);
        _writer = new RedisTraceWriter(options, _connection);
        _reader = new RedisTraceReader(_connection);
        _lister = new RedisTraceLister(options, _connection, logger);
        _cleanup = new RedisTraceCleanup(_connection);
        _lifecycle = new RedisTraceLifecycle(options, _connection);
        _search = new RedisSearch(options, _connection);
        // The handshake (and StackExchange.Redis's own start-up) overlaps whatever the caller does before its first
        // operation: for a command-line listing, about a sixth of its time.
        _connection.ConnectInBackground();
    }

    public Task WriteAsync(IReadOnlyList<TracePoint> points, Guid batchId, CancellationToken cancellationToken) =>
        _writer.WriteAsync(points, batchId, cancellationToken);

    public IAsyncEnumerable<StoredPoint> ReadTraceAsync(string baseId, CancellationToken cancellationToken) =>
        _reader.ReadTraceAsync(baseId, cancellationToken);

    /// <summary>
    /// A filtered listing runs on the search indexes (<see cref="RedisSearch"/>); an unfiltered one keeps the keyspace
    /// listing (which also sees traces no summary describes yet) and adds each listed trace's summary.
    /// </summary>
    public async Task<TracePage> ListTracesAsync(TraceListQuery query, CancellationToken cancellationToken)
    {
        if (query.Filter is { IsEmpty: false }) return await _search.ListAsync(query, cancellationToken).ConfigureAwait(false);
        return await _lister.ListAsync(query, _search.EnrichAsync, cancellationToken).ConfigureAwait(false);
    }

    public Task<long> CountTracesAsync(TraceListQuery query, CancellationToken cancellationToken) =>
        _search.CountAsync(query, cancellationToken);

    public Task<long> ReindexAsync(CancellationToken cancellationToken) => _search.ReindexAsync(cancellationToken);

    public Task<int> DeleteTracesAsync(IReadOnlyList<string> baseIds, CancellationToken cancellationToken) =>
        _cleanup.DeleteTracesAsync(baseIds, cancellationToken);

    public Task<bool> SetPinnedAsync(string baseId, bool pinned, CancellationToken cancellationToken) =>
        _lifecycle.SetPinnedAsync(baseId, pinned, cancellationToken);

    public Task<IReadOnlyList<string>> ListPinnedAsync(CancellationToken cancellationToken) =>
        _lifecycle.ListPinnedAsync(cancellationToken);

    public Task<PruneResult> PruneAsync(DateTime cutoff, bool dryRun, CancellationToken cancellationToken) =>
        _lifecycle.PruneAsync(cutoff, dryRun, cancellationToken);

    public Task<TraceStoreStatistics> GetStatisticsAsync(CancellationToken cancellationToken) =>
        _lifecycle.GetStatisticsAsync(cancellationToken);

    /// <summary>What the store is (once connected, <c>Redis Cluster</c> for a cluster) and its URL, password redacted.</summary>
    public override string ToString() => _options.Describe();

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
