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

    [Fact]
    public void Drivers_with_an_otlp_URL_names_the_driver_and_says_a_write_only_store_is_reached_by_its_first_write()
    {
        // Nothing listens there: the check must not write (it would store something), so it does not reach the endpoint.
        var port = FreePort.Next();

        var otlp = cli.Run(_work.Path, "drivers", "-c", $"otlp+http://:Sekret-42@127.0.0.1:{port}");

        Assert.True(otlp.ExitCode == 0, otlp.All);
        Assert.Contains($"otlp+http://:***@127.0.0.1:{port}: driver otlp, write-only: not connected (a store that cannot be read is reached by its first write",
            otlp.StandardOutput);
        Assert.Contains("only forwards points as spans", otlp.StandardOutput);
        Assert.DoesNotContain("Sekret-42", otlp.All);
    }

    [Fact]
    public void Drivers_with_the_URL_of_a_readable_store_that_cannot_be_reached_still_exits_3()
    {
        var port = FreePort.Next();

        var redis = cli.Run(_work.Path, "drivers", "-c", $"redis://127.0.0.1:{port}/0");

        Assert.True(redis.ExitCode == 3, redis.All);
        Assert.Contains($"127.0.0.1:{port}", redis.StandardError);
        Assert.DoesNotContain("write-only", redis.All);
    }
}
