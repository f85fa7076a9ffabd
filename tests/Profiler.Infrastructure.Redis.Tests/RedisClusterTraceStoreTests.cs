using Profiler.Storage;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// The whole driver contract on a real local Redis Cluster (three primaries, three replicas), through the seed list
/// naming every node: the same answers as on one redis-server (<see cref="RedisTraceStoreTests"/>), with the traces
/// spread over the primaries' slots. Every primary is flushed before each test.
/// </summary>
public sealed class RedisClusterTraceStoreTests(RedisCluster cluster) : TraceStoreContract, IClassFixture<RedisCluster>
{
    protected override string FixtureBackend => "redis";

    protected override bool SupportsLifecycle => true;

    protected override bool SupportsSearch => true;

    // As on one server: errors are listed from the osprofiler_error: index, written only with filter_error_trace.
    protected override bool ErrorsListedWithoutFilterErrorTrace => false;

    protected override bool EarliestIsFirstStored => true;

    // As OSProfiler's collector on the node owning the key: one LPUSH of the point's document per point.
    protected override async Task WriteAsOsProfilerAsync(ITraceStore store, IReadOnlyList<Profiler.Domain.TracePoint> points)
    {
        foreach (var p in points)
            await cluster.Db().ListLeftPushAsync("osprofiler_opt:" + p.BaseId, Profiler.Domain.TracePointJson.ToUtf8(p, null, null));
    }

    protected override async Task<ITraceStore> CreateStoreAsync(DriverSettings settings)
    {
        await cluster.FlushAsync();
        return cluster.Open(settings);
    }
}
