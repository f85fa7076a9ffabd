using System.CommandLine;
using System.Text.Json.Nodes;

namespace Profiler.Cli.Commands.Bench;

/// <summary>
/// <c>bench cluster</c>: the ingest bench (<see cref="IngestBench"/>, same points, writers and batches) on a Redis
/// Cluster and on one redis-server of this same machine, side by side. Both are started here (<see cref="LocalRedis"/>:
/// free loopback ports, a temporary folder, no persistence; the cluster three primaries with a replica each, reached
/// through the seed list naming every node) and stopped afterwards. The runs alternate, one on each side per round, so
/// that a busy machine slows both alike; the best rate of each side is kept, and both are emptied between rounds. On one
/// machine the cluster's primaries and replicas share its cores: the figure is the cost of the cluster's protocol
/// (per-slot scripts, one pipeline per primary, replication), not the scale-out several machines would give. To measure
/// an existing cluster, run <c>bench ingest -c redis://host1:port1,host2:port2,…</c>.
/// </summary>
internal static class ClusterBench
{
    public static Command Create(CommonOptions common, BenchOptions options)
    {
        var runs = new Option<int>("--runs") { Description = "Rounds, each one run on the single server then one on the cluster; the best rate of each side is kept", DefaultValueFactory = _ => 3 };
        var bin = new Option<string?>("--redis-bin") { Description = "Folder holding redis-server and redis-cli [default: found on PATH]" };
        var command = new Command("cluster",
            "Ingest on a local Redis Cluster (3 primaries, 3 replicas) and on one redis-server of this machine, side by side (both started here, stopped afterwards)");
        foreach (var option in new Option[] { options.Points, options.Traces, options.Payload, options.Concurrency, options.Batch, options.Json, options.Warmup, runs, bin })
            command.Options.Add(option);
        command.SetAction((result, ct) => CliErrors.Run(async () =>
        {
            // --repeat is not among its options (it repeats runs with --runs): one.
            var settings = options.Read(result, warmup: true) with { Repeat = 1 };
            settings.Check();
            var rounds = result.GetValue(runs);
            if (rounds is < 1 or > 100) throw new CliException($"--runs {rounds} is out of range: use 1 to 100");
            var folders = common.PluginFolders(result);
            var level = common.LogLevel(result);
            using var redis = new LocalRedis(result.GetValue(bin));
            var (singleUrl, singlePort) = redis.StartServer();
            var (clusterUrl, clusterPorts) = redis.StartCluster();
            JsonObject? single = null, cluster = null;
            for (var round = 0; round < rounds; round++)
            {
                single = Best(single, await RunAsync(singleUrl, folders, level, settings, ct));
                cluster = Best(cluster, await RunAsync(clusterUrl, folders, level, settings, ct));
                redis.Flush([singlePort]);
                redis.Flush(clusterPorts);
            }
            Print(single!, cluster!, rounds, settings);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static async Task<JsonObject> RunAsync(string url, IReadOnlyList<string> folders, Microsoft.Extensions.Logging.LogLevel level,
        BenchSettings settings, CancellationToken ct)
    {
        await using var context = new CliContext(url, folders, level);
        var prefix = "bench-" + BenchPoints.RunId();
        var figures = await new IngestBench().RunAsync(context, settings, prefix, ct);
        return BenchPrinter.Figures("ingest", context.ShownConnectionString, prefix, figures);
    }

    private static JsonObject Best(JsonObject? best, JsonObject run) =>
        best is null || (double)run["points_per_second"]! > (double)best["points_per_second"]! ? run : best;

    private static void Print(JsonObject single, JsonObject cluster, int rounds, BenchSettings s)
    {
        var ratio = (double)single["points_per_second"]! > 0
            ? Math.Round((double)cluster["points_per_second"]! / (double)single["points_per_second"]!, 3)
            : 0;
        if (s.Json)
        {
            Console.WriteLine(new JsonObject
            {
                ["mode"] = "cluster", ["runs"] = rounds, ["cores"] = Environment.ProcessorCount,
                ["cluster_primaries"] = LocalRedis.ClusterPrimaries, ["cluster_replicas"] = LocalRedis.ClusterPrimaries,
                ["single"] = single, ["cluster"] = cluster, ["cluster_to_single_ratio"] = ratio,
            }.ToJsonString());
            return;
        }
        Console.WriteLine($"ingest of {s.Points} points ({s.Traces} traces, {s.PayloadBytes} bytes of payload, {s.Concurrency} writers, " +
                          $"batches of {s.BatchSize}) on this machine ({Environment.ProcessorCount} cores), best of {rounds} runs each:");
        foreach (var (name, f) in new[] { ("one redis-server", single), ($"cluster, {LocalRedis.ClusterPrimaries} primaries + {LocalRedis.ClusterPrimaries} replicas", cluster) })
            Console.WriteLine($"  {name,-36} {f["points_per_second"],10} points/s  p50 {f["p50_ms"]} ms  p99 {f["p99_ms"]} ms  " +
                              $"client CPU {f["cpu_seconds"]} s  ({f["store"]})");
        Console.WriteLine($"  cluster / one server: {ratio}x");
    }
}
