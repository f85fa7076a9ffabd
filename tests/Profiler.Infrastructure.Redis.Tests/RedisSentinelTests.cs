using System.Text.Json.Nodes;
using Profiler.Domain;
using Profiler.Storage;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>The sentinel driver's store on a <see cref="SentinelTopology"/>.</summary>
internal static class SentinelTopologyStores
{
    /// <summary>
    /// The <c>socket_timeout</c> of these stores (unless <c>query</c> names one): 6 s. A store keeps retrying an operation
    /// through a failover for 20 socket timeouts (at least 10 s); with the default 0.1 s that is 10 s, which a loaded
    /// machine can spend before the sentinel has promoted the replica and the multiplexer followed. 6 s gives 2 minutes.
    /// </summary>
    public static readonly TimeSpan SocketTimeout = TimeSpan.FromSeconds(6);

    public static ITraceStore Open(this SentinelTopology topology, string query = "", Microsoft.Extensions.Logging.ILoggerFactory? logging = null) =>
        new RedisSentinelDriver().Open(ConnectionString.Parse(topology.Url(query)),
            new DriverSettings { LoggerFactory = logging ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, SocketTimeout = SocketTimeout });
}

/// <summary>The topology with a password on master and replica.</summary>
public sealed class PasswordSentinelTopology : SentinelTopology
{
    public const string Secret = "sentinel-Pa55";

    public PasswordSentinelTopology() : base(Secret) { }
}

public sealed class RedisSentinelTests(ITestOutputHelper output)
{
    private static IReadOnlyList<TracePoint> Trace(string baseId, int i) =>
    [
        new()
        {
            Name = "wsgi-start", BaseId = baseId, TraceId = $"op-{i}", ParentId = baseId,
            Timestamp = TraceTimestamp.UtcNow.ToString(), Info = new JsonObject { ["host"] = "h" },
        },
        new()
        {
            Name = "wsgi-stop", BaseId = baseId, TraceId = $"op-{i}", ParentId = baseId,
            Timestamp = TraceTimestamp.UtcNow.ToString(), Info = new JsonObject { ["host"] = "h" },
        },
    ];

    private static async Task<List<string>> OperationsAsync(ITraceStore store, string baseId)
    {
        var ops = new List<string>();
        await foreach (var p in store.ReadTraceAsync(baseId, CancellationToken.None))
            if (p.Name == "wsgi-start") ops.Add(p.TraceId);
        ops.Sort(StringComparer.Ordinal);
        return ops;
    }

    [Fact]
    public async Task Writes_and_reads_go_through_the_sentinels_master()
    {
        using var topology = new SentinelTopology();
        await using var store = topology.Open();

        await store.WriteAsync(Trace("via-sentinel", 1), CancellationToken.None);

        Assert.Equal(["op-1"], await OperationsAsync(store, "via-sentinel"));
        Assert.Contains("osprofiler_opt:via-sentinel", topology.Cli(topology.MasterPort, "KEYS", "*"));
        var listed = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);
        Assert.Equal("via-sentinel", Assert.Single(listed.Traces).BaseId);

        // Several sentinels, the first of them down: the store asks the one that answers.
        var down = FreePort.Next();
        await using var second = new RedisSentinelDriver().Open(
            ConnectionString.Parse($"redissentinel://127.0.0.1:{down},127.0.0.1:{topology.SentinelPort}/0?sentinel_service_name={SentinelTopology.ServiceName}"),
            new DriverSettings { SocketTimeout = SentinelTopologyStores.SocketTimeout });
        await second.WriteAsync(Trace("via-sentinel", 2), CancellationToken.None);
        Assert.Equal(["op-1", "op-2"], await OperationsAsync(second, "via-sentinel"));
    }

    [Fact]
    public async Task An_unknown_service_name_fails_naming_it_and_the_sentinel()
    {
        using var topology = new SentinelTopology();
        await using var store = new RedisSentinelDriver().Open(
            ConnectionString.Parse($"redissentinel://127.0.0.1:{topology.SentinelPort}?sentinel_service_name=nosuchmaster"),
            new DriverSettings());

        var e = await Assert.ThrowsAsync<TraceStoreException>(() => store.WriteAsync(Trace("x", 1), CancellationToken.None));

        Assert.Contains("nosuchmaster", e.Message);
        Assert.Contains($"127.0.0.1:{topology.SentinelPort}", e.Message);
    }

    [Fact]
    public async Task Every_point_written_before_and_after_a_failover_is_readable_through_the_same_store()
    {
        using var topology = new PasswordSentinelTopology();
        var logging = new TestOutputLoggerFactory(output);
        await using var store = topology.Open(logging: logging);
        for (var i = 0; i < 5; i++)
            await store.WriteAsync(Trace("failover", i), CancellationToken.None);
        // Points the replica has not received yet would be lost with the master: wait until it holds as many as the
        // master (a WAIT sent on redis-cli's own, fresh connection would count no write of the store's and prove nothing).
        var written = topology.Cli(topology.MasterPort, "LLEN", "osprofiler_opt:failover").Trim();
        Assert.NotEqual("0", written);
        SentinelTopology.WaitFor(() => topology.Cli(topology.ReplicaPort, "LLEN", "osprofiler_opt:failover").Trim() == written,
            Waiting.Patience, "the replica to hold every point written so far");

        topology.Master.Kill();
        var promotion = System.Diagnostics.Stopwatch.StartNew();
        // Issued while there is no master: it waits and retries until the multiplexer follows the failover.
        var duringFailover = store.WriteAsync(Trace("failover", 99), CancellationToken.None);
        SentinelTopology.WaitFor(() => topology.CurrentMasterPort() == topology.ReplicaPort, Waiting.Patience,
            "the sentinel to promote the replica");
        output.WriteLine($"replica promoted {promotion.ElapsedMilliseconds} ms after the master was killed");

        var after = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 5; i < 10; i++)
            await store.WriteAsync(Trace("failover", i), CancellationToken.None);
        output.WriteLine($"first writes after the promotion took {after.ElapsedMilliseconds} ms");

        await duringFailover;
        output.WriteLine($"the write issued during the failover finished {promotion.ElapsedMilliseconds} ms after the kill");

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"op-{i}").Append("op-99"), await OperationsAsync(store, "failover"));
        Assert.Contains("osprofiler_opt:failover", topology.Cli(topology.ReplicaPort, "KEYS", "*"));
        var listed = await store.ListTracesAsync(new TraceListQuery(10), CancellationToken.None);
        Assert.Equal("failover", Assert.Single(listed.Traces).BaseId);
        Assert.All(logging.Messages, m => Assert.DoesNotContain(PasswordSentinelTopology.Secret, m));
    }
}
