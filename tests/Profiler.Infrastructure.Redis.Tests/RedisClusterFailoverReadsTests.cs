using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using StackExchange.Redis;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// Reads across shards while a primary fails: the listing waits for the cluster to promote the replica, then lists
/// every trace again. A cluster of its own (a primary is killed).
/// </summary>
public sealed class RedisClusterFailoverReadsTests(RedisClusterTopology cluster, Xunit.Abstractions.ITestOutputHelper output)
    : IClassFixture<RedisClusterTopology>
{
    [Fact]
    public async Task A_listing_started_right_after_a_primary_is_killed_lists_every_trace_once_its_replica_took_over_and_reads_them()
    {
        var config = new ConfigurationOptions { ConnectTimeout = 30_000, SyncTimeout = 30_000, AsyncTimeout = 30_000 };
        foreach (var port in cluster.Ports) config.EndPoints.Add("127.0.0.1", port);
        using (var admin = await ConnectionMultiplexer.ConnectAsync(config))
        {
            for (var i = 0; i < 30; i++)
            {
                var id = $"failover-{i:00}";
                await admin.GetDatabase().ListLeftPushAsync("osprofiler_opt:" + id, TracePointJson.ToUtf8(new TracePoint
                {
                    Name = "wsgi-start", BaseId = id, TraceId = id + "-op", ParentId = id,
                    Timestamp = TraceTimestamp.FromDateTime(new DateTime(2026, 11, 29, 10, 0, i, DateTimeKind.Utc)).ToString(),
                    Info = new JsonObject { ["host"] = "h" },
                }));
            }
        }
        // Every replica holds what its primary holds before one is killed (a failover would lose the rest).
        SentinelTopology.WaitFor(() => cluster.ReplicaPorts().Sum(Size) == 30, Waiting.Patience, "the replicas to hold all 30 traces");
        await using var parts = RedisClusterReadsFixture.Open(cluster.Url());
        Assert.Equal(30, (await parts.Lister.ListAsync(new TraceListQuery(100), CancellationToken.None)).Traces.Count);

        var victim = cluster.PortOfKey("osprofiler_opt:failover-00");
        cluster.Kill(victim);
        output.WriteLine($"killed the primary :{victim}");
        var page = await parts.Lister.ListAsync(new TraceListQuery(100), CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"failover-{i:00}").Reverse(), page.Traces.Select(t => t.BaseId));
        Assert.DoesNotContain(victim, cluster.PrimaryPorts());
        // The trace whose primary was killed is read whole from the promoted replica.
        var points = new List<StoredPoint>();
        await foreach (var p in parts.Reader.ReadTraceAsync("failover-00", CancellationToken.None)) points.Add(p);
        Assert.Equal("wsgi-start", Assert.Single(points).Name);
    }

    private static int Size(int port) =>
        int.Parse(RedisClusterTopology.Cli(port, "DBSIZE").Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
