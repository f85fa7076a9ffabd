using System.Net.Sockets;
using System.Text.Json.Nodes;
using Profiler.Testing;

namespace Profiler.Cli.Tests;

/// <summary>
/// <c>bench cluster</c>: the ingest bench on a Redis Cluster and on one redis-server it starts itself, side by side,
/// small here (the full-size run is the command's own default). No timing is asserted: speed is what the bench
/// reports, not what tests check.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class BenchClusterTests(PublishedCli cli) : IDisposable
{
    private readonly TempDirectory _work = new();

    public void Dispose() => _work.Dispose();

    [Fact]
    public void Bench_cluster_ingests_the_same_points_on_a_local_cluster_and_on_one_server_then_stops_them()
    {
        var run = cli.Run(_work.Path, "bench", "cluster", "--points", "2000", "--traces", "20", "--warmup", "0", "--runs", "1", "--json");

        Assert.True(run.ExitCode == 0, run.All);
        var figures = JsonNode.Parse(run.StandardOutput)!;
        Assert.Equal("cluster", (string)figures["mode"]!);
        Assert.Equal((3, 3), ((int)figures["cluster_primaries"]!, (int)figures["cluster_replicas"]!));
        var single = figures["single"]!;
        var cluster = figures["cluster"]!;
        Assert.Equal((2000L, 2000L), ((long)single["points"]!, (long)cluster["points"]!));
        Assert.True((double)single["points_per_second"]! > 0 && (double)cluster["points_per_second"]! > 0, run.StandardOutput);
        Assert.Equal(Math.Round((double)cluster["points_per_second"]! / (double)single["points_per_second"]!, 3),
            (double)figures["cluster_to_single_ratio"]!, 3);
        // The cluster is reached through the seed list naming its six nodes, the single server through its own URL.
        var seeds = ((string)cluster["store"]!)["redis://".Length..].Split(',');
        Assert.Equal(6, seeds.Length);
        Assert.Single(((string)single["store"]!)["redis://".Length..].Split(','));
        // Every server it started is gone: nothing listens on their ports any more.
        foreach (var seed in seeds.Append(((string)single["store"]!)["redis://".Length..].Split('/')[0]))
        {
            using var client = new TcpClient();
            Assert.Throws<SocketException>(() => client.Connect("127.0.0.1", int.Parse(seed.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    [Fact]
    public void Bench_cluster_without_redis_server_on_the_path_says_what_to_install()
    {
        // The runtime is found through DOTNET_ROOT, so PATH can hold nothing else but an empty folder.
        var runtime = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory();
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        var empty = Directory.CreateDirectory(Path.Combine(_work.Path, "empty-bin")).FullName;

        var run = cli.Run(_work.Path, new Dictionary<string, string> { ["PATH"] = empty, ["DOTNET_ROOT"] = dotnetRoot },
            "bench", "cluster", "--points", "10");
        var named = cli.Run(_work.Path, "bench", "cluster", "--points", "10", "--redis-bin", empty);

        Assert.True(run.ExitCode == 2, run.All);
        Assert.Contains("redis-server is not installed", run.StandardError);
        Assert.Contains("apt-get install redis-server", run.StandardError);
        Assert.True(named.ExitCode == 2, named.All);
        Assert.Contains($"--redis-bin '{empty}' holds no redis-server", named.StandardError);
    }
}
