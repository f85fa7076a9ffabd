using Profiler.Testing;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// The local cluster the cluster tests run on forms and fails over as a real one does: the ground the driver's own
/// cluster tests stand on, checked without the driver.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterTopologyTests(RedisCluster cluster) : IAsyncLifetime
{
    private RedisClusterTopology Topology => cluster.Topology;

    public Task InitializeAsync() => cluster.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public void Six_nodes_form_a_cluster_of_three_primaries_each_with_a_replica()
    {
        Assert.Equal(3, Topology.PrimaryPorts().Length);
        Assert.Equal(3, Topology.ReplicaPorts().Length);
        Assert.Equal(Topology.Ports.Order(), Topology.PrimaryPorts().Concat(Topology.ReplicaPorts()).Order());
        Assert.All(Topology.PrimaryPorts(), p => Assert.Contains(Topology.ReplicaOf(p), Topology.ReplicaPorts()));
        Assert.Contains("cluster_slots_assigned:16384", RedisClusterTopology.Cli(Topology.Ports[0], "CLUSTER", "INFO"));
    }

    [Fact]
    public void A_cluster_of_its_own_stops_every_node_and_removes_its_folder_when_disposed()
    {
        var own = new RedisClusterTopology();
        var (ports, folder) = (own.Ports, own.Directory);
        Assert.All(ports, p => Assert.Equal("PONG", RedisClusterTopology.Node(p, "PING").Trim()));

        own.Dispose();

        Assert.False(Directory.Exists(folder), $"{folder} is left behind");
        foreach (var port in ports)
        {
            using var client = new System.Net.Sockets.TcpClient();
            Assert.Throws<System.Net.Sockets.SocketException>(() => client.Connect("127.0.0.1", port));
        }
    }

    /// <summary>
    /// Last session's version of this test sent WAIT from a second redis-cli, a fresh connection: WAIT counts the
    /// replicas that acknowledged the writes of its own connection, which had none, so it answered 1 at once whatever the
    /// replica held (checked: with the replica stopped by SIGSTOP, a fresh connection's WAIT 1 answers 1, the writing
    /// connection's answers 0). On a loaded machine the write could then be missing from the replica that was promoted
    /// (for instance when a node-timeout failover nobody asked for had already moved the roles, the old primary taking
    /// the write just before it learnt it was demoted). Here the write and its WAIT share one session, the replica's own
    /// copy is read before the kill, and the node promoted must be that very replica.
    /// </summary>
    [Fact]
    public void A_write_its_replica_acknowledged_survives_the_kill_of_its_primary()
    {
        const string key = "osprofiler_opt:cluster-topology-check";
        var owner = Topology.PortOfKey(key);
        var replica = Topology.ReplicaOf(owner);

        var session = RedisClusterTopology.Session(owner, ["RPUSH", key, "kept"], ["WAIT", "1", "60000"])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["1", "1"], session);
        Assert.Equal(["kept"], RedisClusterTopology.ReadReplica(replica, key));

        Topology.Kill(owner);
        try
        {
            Topology.WaitForPromotion(owner, replica);

            Assert.Equal(replica, Topology.PortOfKey(key));
            Assert.Equal("kept", RedisClusterTopology.Node(replica, "LRANGE", key, "0", "-1").Trim());
        }
        finally
        {
            Topology.Restart(owner);
        }
        // The old primary is back as the replica of the node that took over: the cluster is whole for the next test.
        Assert.Equal(owner, Topology.ReplicaOf(replica));
    }
}
