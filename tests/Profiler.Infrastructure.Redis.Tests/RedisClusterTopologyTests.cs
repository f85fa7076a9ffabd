using Profiler.Testing;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>The local cluster the cluster tests run on forms as a real one does, and fails over when a primary dies.</summary>
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

    [Fact]
    public void Killing_a_primary_promotes_its_replica_and_keeps_what_it_held()
    {
        using var cluster = new RedisClusterTopology();
        var key = "osprofiler_opt:cluster-topology-check";
        var owner = cluster.PortOfKey(key);
        RedisClusterTopology.Cli(owner, "RPUSH", key, "kept");
        SentinelTopology.WaitFor(() => cluster.ReplicaPorts().Any(p =>
            {
                var replication = RedisClusterTopology.Cli(p, "INFO", "replication");
                return replication.Contains("master_port:" + owner) && replication.Contains("master_link_status:up");
            }),
            TimeSpan.FromSeconds(60), "a synced replica of the key's primary");
        // The replica acknowledged the write before the kill: a failover keeps it.
        Assert.Equal("1", RedisClusterTopology.Cli(owner, "WAIT", "1", "60000").Trim());

        cluster.Kill(owner);

        // Every live node's view must have moved on: the one PortOfKey asks included.
        SentinelTopology.WaitFor(() => cluster.PrimaryPorts().Length == 3 && !cluster.PrimaryPorts().Contains(owner)
                                       && cluster.PortOfKey(key) != owner
                                       && cluster.PrimaryPorts().All(p => RedisClusterTopology.Cli(p, "CLUSTER", "INFO").Contains("cluster_state:ok")),
            TimeSpan.FromSeconds(120), "the replica to be promoted");
        var newOwner = cluster.PortOfKey(key);
        Assert.Contains("kept", RedisClusterTopology.Cli(newOwner, "LRANGE", key, "0", "-1"));
    }
}
