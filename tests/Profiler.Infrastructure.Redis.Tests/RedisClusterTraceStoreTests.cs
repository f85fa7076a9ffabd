using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// The whole driver contract on a real local Redis Cluster (three primaries, three replicas): the same answers as on one
/// redis-server (<see cref="RedisTraceStoreTests"/>), with the traces spread over the primaries' slots. Every primary is
/// flushed before each test. Run twice on one cluster: through the seed list naming every node, and through one node's
/// URL, a replica's (the driver must find the whole cluster from any node).
/// </summary>
public abstract class RedisClusterContract(RedisCluster cluster) : TraceStoreContract
{
    protected override string FixtureBackend => "redis";

    protected override bool SupportsLifecycle => true;

    protected override bool SupportsSearch => true;

    // As on one server: errors are listed from the osprofiler_error: index, written only with filter_error_trace.
    protected override bool ErrorsListedWithoutFilterErrorTrace => false;

    protected override bool EarliestIsFirstStored => true;

    /// <summary>The URL the stores are opened with.</summary>
    protected abstract string Url { get; }

    // As OSProfiler's collector on the node owning the key: one LPUSH of the point's document per point.
    protected override async Task WriteAsOsProfilerAsync(ITraceStore store, IReadOnlyList<Profiler.Domain.TracePoint> points)
    {
        foreach (var p in points)
            await cluster.Db().ListLeftPushAsync("osprofiler_opt:" + p.BaseId, Profiler.Domain.TracePointJson.ToUtf8(p, null, null));
    }

    protected override async Task<ITraceStore> CreateStoreAsync(DriverSettings settings)
    {
        await cluster.FlushAsync();
        return cluster.Open(settings, Url);
    }
}

/// <summary>The contract through the seed list naming all six nodes.</summary>
[Collection(RedisClusterContractCollection.Name)]
public sealed class RedisClusterTraceStoreTests(RedisCluster cluster) : RedisClusterContract(cluster)
{
    protected override string Url { get; } = cluster.Url();
}

/// <summary>The contract through one replica's URL alone.</summary>
[Collection(RedisClusterContractCollection.Name)]
public sealed class RedisClusterNodeUrlTraceStoreTests(RedisCluster cluster) : RedisClusterContract(cluster)
{
    protected override string Url { get; } = RedisClusterTopology.NodeUrl(cluster.Topology.ReplicaPorts()[0]);
}

/// <summary>One cluster for the two contract classes, which run one after the other (each test flushes it).</summary>
[CollectionDefinition(Name)]
public sealed class RedisClusterContractCollection : ICollectionFixture<RedisCluster>
{
    public const string Name = "redis cluster contract";
}
