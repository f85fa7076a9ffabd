namespace Profiler.Testing;

/// <summary>
/// A real Redis Cluster: six <c>redis-server --cluster-enabled yes</c> processes on free loopback ports (three primaries,
/// three replicas), each in its own folder of one temporary directory, joined with <c>redis-cli --cluster create</c>.
/// Started by the constructor, ready once every node reports <c>cluster_state:ok</c>; stopped by <see cref="Dispose"/>.
/// A node can be killed (<see cref="Kill"/>) to make its replica take over (node timeout 2 s).
/// </summary>
public sealed class RedisClusterTopology : IDisposable
{
    /// <summary>Primaries in the cluster; each has one replica.</summary>
    public const int Primaries = 3;

    private readonly TempDirectory _dir = new("profiler-cluster-");
    private readonly ServerProcess?[] _nodes = new ServerProcess?[Primaries * 2];

    public RedisClusterTopology()
    {
        var server = ServerProcess.Require("redis-server", "redis-server");
        var cli = ServerProcess.Require("redis-cli", "redis-tools");
        Ports = new int[_nodes.Length];
        try
        {
            for (var i = 0; i < _nodes.Length; i++)
            {
                var dir = Path.Combine(_dir.Path, "node" + i);
                Directory.CreateDirectory(dir);
                // A cluster node also listens on port + 10000 (the cluster bus): both must be free.
                _nodes[i] = ServerProcess.StartOnFreePort(port =>
                {
                    if (port > 55535 || !IsFree(port + 10000))
                        throw new InvalidOperationException($"cluster bus port {port + 10000} already in use");
                    return ServerProcess.Start($"redis cluster node :{port}", server,
                    [
                        "--port", port.ToString(), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000", "--save", "",
                        "--appendonly", "no", "--dir", dir,
                    ], port, dir);
                }, out Ports[i]);
            }
            ServerProcess.Run(cli,
            [
                "--cluster", "create", .. Ports.Select(p => "127.0.0.1:" + p), "--cluster-replicas", "1", "--cluster-yes",
            ], timeout: TimeSpan.FromSeconds(120));
            // cluster_state:ok comes before the roles have spread by gossip: ready once every node sees three
            // primaries and three replicas, and every replica has finished its first sync (a failover before that loses
            // what was written).
            foreach (var port in Ports)
                SentinelTopology.WaitFor(() => Cli(port, "CLUSTER", "INFO").Contains("cluster_state:ok")
                                               && NodesWithRole(port, "master").Length == Primaries
                                               && NodesWithRole(port, "slave").Length == Primaries,
                    TimeSpan.FromSeconds(120), $"cluster node :{port} to see {Primaries} primaries and {Primaries} replicas");
            SentinelTopology.WaitFor(() => ReplicaPorts().All(p => Cli(p, "INFO", "replication").Contains("master_link_status:up")),
                TimeSpan.FromSeconds(120), "every replica to finish its first sync");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The six nodes' ports, in start order.</summary>
    public int[] Ports { get; }

    /// <summary>A seed list URL naming every node, as <c>redis://127.0.0.1:a,127.0.0.1:b,…</c>, plus an optional query.</summary>
    public string Url(string query = "") => "redis://" + string.Join(",", Ports.Select(p => "127.0.0.1:" + p)) + query;

    /// <summary>The ports of the nodes that are primaries now (as the first live node's <c>CLUSTER NODES</c> says).</summary>
    public int[] PrimaryPorts() => NodesWithRole(LivePort(), "master");

    /// <summary>The ports of the nodes that are replicas now.</summary>
    public int[] ReplicaPorts() => NodesWithRole(LivePort(), "slave");

    /// <summary>The port of the primary that owns <paramref name="key"/>'s slot now.</summary>
    public int PortOfKey(string key)
    {
        var slot = int.Parse(Cli(LivePort(), "CLUSTER", "KEYSLOT", key).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var line in ClusterNodes(LivePort()))
        {
            var fields = line.Split(' ');
            if (!fields[2].Contains("master", StringComparison.Ordinal) || fields[2].Contains("fail", StringComparison.Ordinal)) continue;
            foreach (var range in fields.Skip(8))
            {
                var bounds = range.Split('-');
                if (bounds[0].StartsWith('[')) continue; // a slot being migrated
                var low = int.Parse(bounds[0], System.Globalization.CultureInfo.InvariantCulture);
                var high = bounds.Length > 1 ? int.Parse(bounds[1], System.Globalization.CultureInfo.InvariantCulture) : low;
                if (slot >= low && slot <= high) return PortOf(fields[1]);
            }
        }
        throw new InvalidOperationException($"no primary owns slot {slot} of key {key}");
    }

    /// <summary>Kills a node (SIGKILL); with a primary, its replica is promoted after the 2 s node timeout.</summary>
    public void Kill(int port)
    {
        var i = Array.IndexOf(Ports, port);
        _nodes[i]?.Kill();
    }

    /// <summary>Runs a command on one node with redis-cli (<c>-c</c>: follows MOVED redirects).</summary>
    public static string Cli(int port, params string[] command) =>
        ServerProcess.Run(ServerProcess.Require("redis-cli", "redis-tools"),
            ["-c", "-h", "127.0.0.1", "-p", port.ToString(), .. command], timeout: TimeSpan.FromSeconds(30));

    private static int[] NodesWithRole(int port, string role) => ClusterNodes(port)
        .Select(line => line.Split(' '))
        .Where(f => f[2].Split(',').Contains(role) && !f[2].Contains("fail", StringComparison.Ordinal))
        .Select(f => PortOf(f[1]))
        .ToArray();

    private static string[] ClusterNodes(int port) =>
        Cli(port, "CLUSTER", "NODES").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private int LivePort() => Ports.Where((_, i) => _nodes[i] is { HasExited: false }).First();

    // "127.0.0.1:7000@17000" → 7000
    private static int PortOf(string address) =>
        int.Parse(address.Split('@')[0].Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        foreach (var node in _nodes) node?.Dispose();
        _dir.Dispose();
    }
}
