using Microsoft.Extensions.Logging;
using System.Diagnostics;
using Profiler.Application.Ports;
using Profiler.Domain;
using Profiler.Infrastructure.Redis;
using Profiler.Testing;
using Xunit.Abstractions;

namespace Profiler.Faults.Tests.Outage;

/// <summary>
/// A master, a replica and a sentinel (quorum 1, 1 s down-after) as real processes on free loopback ports, as in
/// the Redis driver's own tests, for failovers under traffic.
/// </summary>
internal sealed class SentinelSet : IDisposable
{
    public const string ServiceName = "faultsmaster";
    private readonly TempDirectory _dir = new("profiler-failover-");
    private readonly List<ServerProcess> _processes = [];

    public SentinelSet()
    {
        var server = ServerProcess.Require("redis-server", "redis-server");
        var sentinel = ServerProcess.Require("redis-sentinel", "redis-sentinel");
        MasterPort = FreePort.Next();
        ReplicaPort = FreePort.Next();
        SentinelPort = FreePort.Next();
        Master = StartServer(server, "master", MasterPort);
        StartServer(server, "replica", ReplicaPort, "--replicaof", "127.0.0.1", MasterPort.ToString());
        var dir = Path.Combine(_dir.Path, "sentinel");
        Directory.CreateDirectory(dir);
        var config = Path.Combine(dir, "sentinel.conf");
        File.WriteAllLines(config,
        [
            $"port {SentinelPort}", "bind 127.0.0.1", $"dir {dir}",
            $"sentinel monitor {ServiceName} 127.0.0.1 {MasterPort} 1",
            $"sentinel down-after-milliseconds {ServiceName} 1000",
            $"sentinel failover-timeout {ServiceName} 3000",
            $"sentinel parallel-syncs {ServiceName} 1",
        ]);
        _processes.Add(ServerProcess.Start($"redis-sentinel :{SentinelPort}", sentinel, [config], SentinelPort, dir));
        WaitFor(() => Cli(SentinelPort, "SENTINEL", "replicas", ServiceName).Contains(ReplicaPort.ToString()),
            TimeSpan.FromSeconds(30), "the sentinel to discover the replica");
        // Discovered is not synced: until its first full sync is done the replica holds nothing, and a failover then
        // loses everything written so far (seen here: state=wait_bgsave at the kill, 16,000 points gone).
        WaitFor(() => Cli(MasterPort, "INFO", "replication").Contains("state=online"), TimeSpan.FromSeconds(30),
            "the replica to finish its first sync");
    }

    public int MasterPort { get; }
    public int ReplicaPort { get; }
    public int SentinelPort { get; }
    public ServerProcess Master { get; }

    public string Url => $"redissentinel://127.0.0.1:{SentinelPort}/0?sentinel_service_name={ServiceName}";

    public int CurrentMasterPort()
    {
        var lines = Cli(SentinelPort, "SENTINEL", "get-master-addr-by-name", ServiceName)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length >= 2 && int.TryParse(lines[1], out var port) ? port : 0;
    }

    public static string Cli(int port, params string[] command) =>
        ServerProcess.Run(ServerProcess.Require("redis-cli", "redis-tools"), ["-h", "127.0.0.1", "-p", port.ToString(), .. command],
            timeout: TimeSpan.FromSeconds(10));

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
        var process = ServerProcess.Start($"redis {role} :{port}", executable,
            ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, .. extra], port, dir);
        _processes.Add(process);
        return process;
    }

    public void Dispose()
    {
        foreach (var p in _processes) p.Dispose();
        _dir.Dispose();
    }
}

public sealed class SentinelFailoverTests(ITestOutputHelper output)
{
    /// <remarks>
    /// Redis replicates asynchronously: points the old master acknowledged but had not yet sent to the replica when it
    /// was killed are gone with it, whatever the client does (OSProfiler's driver alike). So the exact no-loss
    /// assertion covers the operations begun once the master was down (named <c>requestdown</c>/<c>dbdown</c>):
    /// the notifier held them through the failover and every one must reach the new master. Points acknowledged
    /// before the kill and missing after it are counted and printed with the replica's offset just before the kill
    /// (the replica is fully synced before traffic starts: see <see cref="SentinelSet"/>).
    /// </remarks>
    [Fact]
    public async Task A_sentinel_failover_under_traffic_blocks_no_call_and_loses_no_point_the_notifier_held()
    {
        using var set = new SentinelSet();
        var storeLog = new OutageLog();
        using var storeLogging = LoggerFactory.Create(b => b.AddProvider(storeLog));
        await using var store = new RedisSentinelDriver().Open(ConnectionString.Parse(set.Url), new DriverSettings { LoggerFactory = storeLogging });
        await using var service = new ProfiledService(store, bufferSize: 1_000_000);
        var traffic = new Traffic(service.Notifier, markDown: true);
        traffic.Start(threads: 3, asyncFlows: 3);
        await Task.Delay(1500);

        var replication = SentinelSet.Cli(set.MasterPort, "INFO", "replication");
        traffic.StoreDown = true;
        set.Master.Kill();
        var failover = Stopwatch.StartNew();
        SentinelSet.WaitFor(() => set.CurrentMasterPort() == set.ReplicaPort, TimeSpan.FromSeconds(30), "the sentinel to promote the replica");
        var promoted = failover.Elapsed;
        traffic.StoreDown = false;
        await Task.Delay(1500);
        await traffic.StopAsync();

        var flush = Stopwatch.StartNew();
        Assert.True(await service.Notifier.FlushAsync(TimeSpan.FromSeconds(60)), $"not flushed: {service.Notifier.QueuedCount} queued");
        flush.Stop();
        var stored = await StoredCount.ReadAsync(store, traffic.Generated.Keys);
        var generated = traffic.GeneratedTotal;
        var lostHeld = traffic.GeneratedWhileDown - stored.DistinctDown;
        var lostAcknowledged = generated - traffic.GeneratedWhileDown - (stored.Distinct - stored.DistinctDown);
        Figures.Print(output, "Sentinel failover under traffic (master killed, replica promoted):",
            ("replica promoted after", Figures.Ms(promoted)),
            ("replication before kill", ReplicaLag(replication)),
            ("traces", traffic.Generated.Count),
            ("points generated", generated),
            ("  of which while failing over", traffic.GeneratedWhileDown),
            ("points stored (distinct)", stored.Distinct),
            ("points lost (held by notifier)", lostHeld),
            ("points lost (acked by old master)", lostAcknowledged),
            ("points stored twice", stored.Duplicates),
            ("points dropped", service.Notifier.DroppedCount),
            ("failed store attempts", service.Notifier.FailedAttempts),
            ("calls while failing over", traffic.CallsWhileDown),
            ("max call", Figures.Ms(traffic.MaxCall)),
            ("max call while failing over", Figures.Ms(traffic.MaxCallWhileDown)),
            ("calls over 50 ms then", traffic.CallsOver50MsWhileDown),
            ("flush after promotion", Figures.Ms(flush.Elapsed)),
            ("exceptions", traffic.Errors.Count),
            ("incomplete nodes", stored.BrokenNodes));
        foreach (var line in storeLog.Lines.Concat(service.Logs.Lines).Take(10)) output.WriteLine("  log: " + line);

        Assert.Empty(traffic.Errors);
        RedisOutageTests.AssertNoCallBlocked(traffic);
        Assert.Equal(0, service.Notifier.DroppedCount);
        Assert.True(traffic.GeneratedWhileDown > 1000, $"only {traffic.GeneratedWhileDown} points while failing over");
        Assert.Equal(0, lostHeld);
        Assert.True(lostAcknowledged >= 0, $"{lostAcknowledged} more points stored than generated");
        if (lostAcknowledged == 0) Assert.Equal(0, stored.BrokenNodes);
        Assert.Contains("osprofiler_opt:", SentinelSet.Cli(set.ReplicaPort, "--scan", "--pattern", "osprofiler_opt:*"));
    }

    private static string ReplicaLag(string info)
    {
        var master = info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("master_repl_offset:", StringComparison.Ordinal));
        var replica = info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("slave0:", StringComparison.Ordinal));
        return $"{master} {replica}";
    }
}
