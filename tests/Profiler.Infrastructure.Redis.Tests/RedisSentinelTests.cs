using System.Text.Json.Nodes;
using Profiler.Application.Ports;
using Profiler.Domain;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Infrastructure.Redis.Tests;

/// <summary>
/// A master, a replica (<c>--replicaof</c>) and one sentinel (quorum 1, 1 s down-after) as real processes on free
/// loopback ports. With <see cref="Password"/>, master and replica require it and the sentinel knows it
/// (<c>sentinel auth-pass</c>) while the sentinel itself takes none: OSProfiler's setup.
/// </summary>
public class SentinelTopology : IDisposable
{
    public const string ServiceName = "profiled";
    private readonly TempDirectory _dir = new("profiler-sentinel-");
    private readonly List<ServerProcess> _processes = [];

    public SentinelTopology() : this(null) { }

    protected SentinelTopology(string? password)
    {
        Password = password;
        var server = ServerProcess.Require("redis-server", "redis-server");
        var sentinel = ServerProcess.Require("redis-sentinel", "redis-sentinel");
        MasterPort = FreePort.Next();
        ReplicaPort = FreePort.Next();
        SentinelPort = FreePort.Next();
        Master = StartServer(server, "master", MasterPort);
        Replica = StartServer(server, "replica", ReplicaPort, "--replicaof", "127.0.0.1", MasterPort.ToString());

        var sentinelDir = Path.Combine(_dir.Path, "sentinel");
        Directory.CreateDirectory(sentinelDir);
        var config = Path.Combine(sentinelDir, "sentinel.conf");
        File.WriteAllLines(config,
        [
            $"port {SentinelPort}",
            "bind 127.0.0.1",
            $"dir {sentinelDir}",
            $"sentinel monitor {ServiceName} 127.0.0.1 {MasterPort} 1",
            $"sentinel down-after-milliseconds {ServiceName} 1000",
            $"sentinel failover-timeout {ServiceName} 3000",
            $"sentinel parallel-syncs {ServiceName} 1",
            .. password is null ? Array.Empty<string>() : [$"sentinel auth-pass {ServiceName} {password}"],
        ]);
        Sentinel = ServerProcess.Start($"redis-sentinel :{SentinelPort}", sentinel, [config], SentinelPort, sentinelDir);
        _processes.Add(Sentinel);
        // A failover needs the sentinel to know the replica; it learns it from the master's INFO.
        WaitFor(() => SentinelCommand("SENTINEL", "replicas", ServiceName).Contains(ReplicaPort.ToString()),
            TimeSpan.FromSeconds(30), "the sentinel to discover the replica");
    }

    public string? Password { get; }
    public int MasterPort { get; }
    public int ReplicaPort { get; }
    public int SentinelPort { get; }
    public ServerProcess Master { get; }
    public ServerProcess Replica { get; }
    public ServerProcess Sentinel { get; }

    public string Url(string query = "") =>
        $"redissentinel://{(Password is null ? "" : ":" + Password + "@")}127.0.0.1:{SentinelPort}/0?sentinel_service_name={ServiceName}{query}";

    public ITraceStore Open(string query = "", Microsoft.Extensions.Logging.ILoggerFactory? logging = null) =>
        new RedisSentinelDriver().Open(ConnectionString.Parse(Url(query)),
            logging is null ? new DriverSettings() : new DriverSettings { LoggerFactory = logging });

    /// <summary>The port the sentinel reports for the master now.</summary>
    public int CurrentMasterPort()
    {
        var lines = SentinelCommand("SENTINEL", "get-master-addr-by-name", ServiceName)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length >= 2 && int.TryParse(lines[1], out var port) ? port : 0;
    }

    /// <summary>Runs a command on a server of the topology with redis-cli (authenticated for master and replica).</summary>
    public string Cli(int port, params string[] command)
    {
        var cli = ServerProcess.Require("redis-cli", "redis-tools");
        var auth = Password is not null && port != SentinelPort ? new[] { "-a", Password, "--no-auth-warning" } : [];
        return ServerProcess.Run(cli, ["-h", "127.0.0.1", "-p", port.ToString(), .. auth, .. command], timeout: TimeSpan.FromSeconds(10));
    }

    public string SentinelCommand(params string[] command) => Cli(SentinelPort, command);

    public static void WaitFor(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {what}.");
            Thread.Sleep(100);
        }
    }

    private ServerProcess StartServer(string executable, string role, int port, params string[] extra)
    {
        var dir = Path.Combine(_dir.Path, role);
        Directory.CreateDirectory(dir);
        var arguments = new List<string>
        {
            "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
        };
        if (Password is not null) arguments.AddRange(["--requirepass", Password, "--masterauth", Password]);
        arguments.AddRange(extra);
        var process = ServerProcess.Start($"redis {role} :{port}", executable, arguments, port, dir);
        _processes.Add(process);
        return process;
    }

    public void Dispose()
    {
        foreach (var p in _processes) p.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }
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
            new DriverSettings());
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
        // The replica must have finished its first sync, or WAIT below cannot be acknowledged on a slow machine.
        SentinelTopology.WaitFor(() => topology.Cli(topology.ReplicaPort, "INFO", "replication").Contains("master_link_status:up"),
            TimeSpan.FromSeconds(30), "the replica's first sync with the master");
        var logging = new TestOutputLoggerFactory(output);
        await using var store = topology.Open(logging: logging);
        for (var i = 0; i < 5; i++)
            await store.WriteAsync(Trace("failover", i), CancellationToken.None);
        // Points the replica has not received yet would be lost with the master: wait for them to arrive.
        Assert.Equal("1", topology.Cli(topology.MasterPort, "WAIT", "1", "15000").Trim());

        topology.Master.Kill();
        var promotion = System.Diagnostics.Stopwatch.StartNew();
        // Issued while there is no master: it waits and retries until the multiplexer follows the failover.
        var duringFailover = store.WriteAsync(Trace("failover", 99), CancellationToken.None);
        SentinelTopology.WaitFor(() => topology.CurrentMasterPort() == topology.ReplicaPort, TimeSpan.FromSeconds(30),
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
