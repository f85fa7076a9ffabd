using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary><c>profiler drivers -c URL</c> connects and names the driver and the mode the URL ends up in.</summary>
[Collection(CliCollection.Name)]
public sealed class DriversModeTests(PublishedCli cli) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public void Drivers_with_a_cluster_nodes_URL_says_it_connected_to_a_Redis_Cluster_and_with_a_single_servers_URL_to_Redis()
    {
        using var cluster = new RedisClusterTopology();
        using var single = new RedisProcess();

        var onCluster = cli.Run(_work.Path, "drivers", "-c", $"redis://127.0.0.1:{cluster.Ports[0]}");
        var onSingle = cli.Run(_work.Path, "drivers", "-c", $"redis://127.0.0.1:{single.Port}/0");

        Assert.True(onCluster.ExitCode == 0, onCluster.All);
        Assert.Contains("driver redis, connected to Redis Cluster redis://", onCluster.StandardOutput);
        Assert.True(onSingle.ExitCode == 0, onSingle.All);
        Assert.Contains($"driver redis, connected to Redis redis://127.0.0.1:{single.Port}/0", onSingle.StandardOutput);
    }
}
