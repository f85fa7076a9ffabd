using Profiler.Testing;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>The local cluster the cluster tests will run on forms as a real one does.</summary>
public sealed class RedisClusterTopologyTests
{
    [Fact]
    public void Six_nodes_form_a_cluster_of_three_primaries_each_with_a_replica()
    {
        using var cluster = new RedisClusterTopology();

        Assert.Equal(3, cluster.PrimaryPorts().Length);
        Assert.Equal(3, cluster.ReplicaPorts().Length);
        Assert.Contains("cluster_slots_assigned:16384", RedisClusterTopology.Cli(cluster.Ports[0], "CLUSTER", "INFO"));
    }
}
