namespace Profiler.Testing;

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
            // 5 s, as RedisClusterTopology.NodeTimeout: a loaded 2-core machine can stall the master's answer to the
            // sentinel's pings for a second or two, and a failover nobody asked for moves the roles under a test.
            $"sentinel down-after-milliseconds {ServiceName} 5000",
            $"sentinel failover-timeout {ServiceName} 3000",
            $"sentinel parallel-syncs {ServiceName} 1",
            .. password is null ? Array.Empty<string>() : [$"sentinel auth-pass {ServiceName} {password}"],
        ]);
        Sentinel = ServerProcess.Start($"redis-sentinel :{SentinelPort}", sentinel, [config], SentinelPort, sentinelDir);
        _processes.Add(Sentinel);
        // A failover needs the sentinel to know the replica; it learns it from the master's INFO, which it asks for every
        // 10 s: a replica still connecting at one ask is seen at the next, so a loaded machine can take several rounds.
        WaitFor(() => SentinelCommand("SENTINEL", "replicas", ServiceName).Contains(ReplicaPort.ToString()),
            TimeSpan.FromSeconds(90), "the sentinel to discover the replica");
        // Discovered is not synced: until its first full sync is done the replica holds nothing, a failover then loses
        // everything written so far (seen: state=wait_bgsave at the kill, 16,000 points gone) and WAIT is never acknowledged.
        WaitFor(() => Cli(ReplicaPort, "INFO", "replication").Contains("master_link_status:up"), TimeSpan.FromSeconds(90),
            "the replica to finish its first sync");
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
        return ServerProcess.Run(cli, ["-h", "127.0.0.1", "-p", port.ToString(), .. auth, .. command], timeout: TimeSpan.FromSeconds(30));
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
