using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// A <c>redis://</c> URL naming a Redis Cluster node, or several seed nodes, connects to the whole cluster and names
/// the mode; what cannot work on a cluster (another database than 0) or without one (a seed list of plain servers)
/// fails saying why.
/// </summary>
[Collection(RedisClusterReadsCollection.Name)]
public sealed class RedisClusterConnectionTests(RedisClusterReadsFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private static Task<TracePage> ListAsync(ClusterParts parts) =>
        parts.Lister.ListAsync(new TraceListQuery(10), CancellationToken.None);

    [Fact]
    public async Task One_cluster_node_in_a_redis_url_is_found_to_be_a_cluster_and_described_as_one()
    {
        await using var parts = RedisClusterReadsFixture.Open($"redis://127.0.0.1:{fixture.Cluster.Ports[0]}");
        Assert.Equal($"Redis redis://127.0.0.1:{fixture.Cluster.Ports[0]}", parts.Options.Describe());

        await ListAsync(parts);

        Assert.True(parts.Options.Cluster);
        Assert.Equal($"Redis Cluster redis://127.0.0.1:{fixture.Cluster.Ports[0]}", parts.Options.Describe());
    }

    [Fact]
    public async Task A_seed_list_is_accepted_and_reaches_the_cluster_when_its_first_seed_is_down()
    {
        var down = FreePort.Next();
        var url = $"redis://127.0.0.1:{down}," + string.Join(",", fixture.Cluster.Ports.Take(2).Select(p => "127.0.0.1:" + p));
        await using var parts = RedisClusterReadsFixture.Open(url);

        await ListAsync(parts);

        Assert.True(parts.Options.Cluster);
        Assert.StartsWith("Redis Cluster redis://127.0.0.1:" + down + ",", parts.Options.Describe());
    }

    [Fact]
    public async Task Database_1_of_a_cluster_node_is_an_error_saying_a_cluster_has_only_database_0()
    {
        await using var parts = RedisClusterReadsFixture.Open($"redis://127.0.0.1:{fixture.Cluster.Ports[0]}/1");

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => ListAsync(parts));
        output.WriteLine(e.Message);

        Assert.Contains("database 1", e.Message);
        Assert.Contains("Redis Cluster", e.Message);
        Assert.Contains("only database 0", e.Message);
        Assert.Contains($"127.0.0.1:{fixture.Cluster.Ports[0]}/1", e.Message);
    }

    [Fact]
    public void Database_1_with_a_seed_list_is_refused_when_the_store_opens()
    {
        var e = Assert.Throws<FormatException>(() =>
            new RedisDriver().Open(ConnectionString.Parse(fixture.Cluster.Url() + "/1"), new DriverSettings()));
        output.WriteLine(e.Message);

        Assert.Contains("database 1", e.Message);
        Assert.Contains("only database 0", e.Message);
    }

    [Fact]
    public async Task A_seed_list_of_servers_that_are_no_cluster_is_an_error_saying_several_hosts_need_a_cluster()
    {
        using var a = new RedisServer();
        using var b = new RedisServer();
        await using var parts = RedisClusterReadsFixture.Open($"redis://:s3cret-pw@127.0.0.1:{a.Port},127.0.0.1:{b.Port}");

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => ListAsync(parts));
        output.WriteLine(e.Message);

        Assert.Contains($"127.0.0.1:{a.Port},127.0.0.1:{b.Port}", e.Message);
        Assert.Contains("2 hosts", e.Message);
        Assert.Contains("not a cluster node", e.Message);
        Assert.DoesNotContain("s3cret-pw", e.ToString());
        Assert.False(parts.Options.Cluster);
    }

    [Fact]
    public async Task Seed_nodes_that_are_all_down_fail_naming_every_seed_node()
    {
        int x = FreePort.Next(), y = FreePort.Next();
        await using var parts = RedisClusterReadsFixture.Open($"redis://127.0.0.1:{x},127.0.0.1:{y}");

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => ListAsync(parts));
        output.WriteLine(e.Message);

        Assert.Contains($"Redis Cluster seed nodes at 127.0.0.1:{x},127.0.0.1:{y}", e.Message);
    }

    [Fact]
    public async Task One_plain_server_stays_a_plain_server()
    {
        using var server = new RedisServer();
        await using var parts = RedisClusterReadsFixture.Open(server.Url(db: 3));

        await ListAsync(parts);

        Assert.False(parts.Options.Cluster);
        Assert.Equal($"Redis redis://127.0.0.1:{server.Port}/3", parts.Options.Describe());
    }
}
