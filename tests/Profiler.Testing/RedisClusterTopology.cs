using System.Globalization;

namespace Profiler.Testing;

/// <summary>
/// A real Redis Cluster: six <c>redis-server --cluster-enabled yes</c> processes on free loopback ports (three primaries,
/// three replicas), each in its own folder of one temporary directory, joined with <c>redis-cli --cluster create</c>.
/// Started by the constructor, ready once every node sees three primaries and three replicas with every replica synced;
/// stopped by <see cref="Dispose"/> (every node killed, the directory removed). Needs Debian's redis-server and
/// redis-tools: without them the constructor fails saying which to install. A node can be killed (<see cref="Kill"/>):
/// the cluster then promotes its replica after <see cref="NodeTimeout"/>; <see cref="Restart"/> brings it back, as a
/// replica of the node that took over.
/// </summary>
/// <remarks>
/// Replication is asynchronous: a write a primary acknowledged may not be on its replica yet when the primary dies.
/// <c>WAIT</c> says how many replicas acknowledged the writes <em>of the connection it is sent on</em>: sent on a fresh
/// connection (a second <c>redis-cli</c>) it counts every connected replica at once, whatever they hold; a test that
/// needs a write on the replica sends <c>WAIT</c> in the same session (<see cref="Session"/>) or reads the replica
/// itself (<see cref="ReadReplica"/>).
/// </remarks>
public sealed class RedisClusterTopology : IDisposable
{
    /// <summary>Primaries in the cluster; each has one replica.</summary>
    public const int Primaries = 3;

    /// <summary>
    /// The cluster's node timeout (<c>cluster-node-timeout</c>): a node silent this long is failed over. 5 s: a loaded
    /// 2-core machine can stall a node for a second or two, and a failover nobody asked for moves the roles under a test.
    /// </summary>
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long forming, a failover or a rejoin may take on a loaded machine before a test gives up.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(180);

    private readonly string _server;
    private readonly string _cli;
    private readonly TempDirectory _dir;
    private readonly ServerProcess?[] _nodes = new ServerProcess?[Primaries * 2];
    private readonly string[][] _arguments = new string[Primaries * 2][];

    public RedisClusterTopology()
    {
        // Before anything is created: a missing tool leaves nothing behind.
        _server = ServerProcess.Require("redis-server", "redis-server");
        _cli = ServerProcess.Require("redis-cli", "redis-tools");
        _dir = new TempDirectory("profiler-cluster-");
        Ports = new int[_nodes.Length];
        try
        {
            for (var i = 0; i < _nodes.Length; i++)
            {
                var dir = Path.Combine(_dir.Path, "node" + i);
                System.IO.Directory.CreateDirectory(dir);
                var node = i;
                // A cluster node also listens on port + 10000 (the cluster bus): both must be free, and both are taken
                // below the kernel's ephemeral range, from which FreePort (port 0) hands out every other test server's
                // port: a bus port taken from that range could be the port another fixture was just given and is about
                // to start its server on (seen on a loaded CI run: that server failed to bind and its test found the
                // cluster's bus instead).
                _nodes[i] = StartBelowEphemeralRange(port =>
                {
                    if (!IsFree(port) || !IsFree(port + 10000))
                        throw new InvalidOperationException($"port {port} or cluster bus port {port + 10000} already in use");
                    _arguments[node] =
                    [
                        "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes.conf",
                        "--cluster-node-timeout", ((int)NodeTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
                        "--save", "", "--appendonly", "no", "--dir", dir,
                    ];
                    return ServerProcess.Start($"redis cluster node :{port}", _server, _arguments[node], port, dir);
                }, out Ports[i]);
            }
            ServerProcess.Run(_cli,
            [
                "--cluster", "create", .. Ports.Select(p => "127.0.0.1:" + p), "--cluster-replicas", "1", "--cluster-yes",
            ], timeout: TimeSpan.FromSeconds(120));
            WaitUntilWhole();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The six nodes' ports, in start order.</summary>
    public int[] Ports { get; }

    /// <summary>The temporary directory holding every node's folder (removed by <see cref="Dispose"/>).</summary>
    public string Directory => _dir.Path;

    /// <summary>A seed list URL naming every node, as <c>redis://127.0.0.1:a,127.0.0.1:b,…</c>, plus an optional query.</summary>
    public string Url(string query = "") => "redis://" + string.Join(",", Ports.Select(p => "127.0.0.1:" + p)) + query;

    /// <summary>One node's URL, <c>redis://127.0.0.1:port</c> (a cluster client finds the others from it).</summary>
    public static string NodeUrl(int port, string query = "") => $"redis://127.0.0.1:{port}{query}";

    /// <summary>Whether the node on <paramref name="port"/> runs (it was not killed, or was restarted).</summary>
    public bool IsRunning(int port) => _nodes[Index(port)] is { HasExited: false };

    /// <summary>The ports of the nodes that are primaries now (as the first live node's <c>CLUSTER NODES</c> says).</summary>
    public int[] PrimaryPorts() => NodesWithRole(LivePort(), "master");

    /// <summary>The ports of the nodes that are replicas now.</summary>
    public int[] ReplicaPorts() => NodesWithRole(LivePort(), "slave");

    /// <summary>The replica of the primary on <paramref name="primaryPort"/> now (as the first live node sees it).</summary>
    public int ReplicaOf(int primaryPort)
    {
        var nodes = ClusterNodes(LivePort()).Select(line => line.Split(' ')).ToList();
        var id = nodes.Single(f => PortOf(f[1]) == primaryPort)[0];
        var replicas = nodes.Where(f => f[3] == id && f[2].Split(',').Contains("slave") && !f[2].Contains("fail", StringComparison.Ordinal))
            .Select(f => PortOf(f[1])).ToArray();
        return replicas.Length == 1
            ? replicas[0]
            : throw new InvalidOperationException($"primary :{primaryPort} has {replicas.Length} live replicas, not one:\n{string.Join('\n', nodes.Select(f => string.Join(' ', f)))}");
    }

    /// <summary>The cluster's hash slot of <paramref name="key"/> (<c>CLUSTER KEYSLOT</c>).</summary>
    public int SlotOf(string key) => int.Parse(Cli(LivePort(), "CLUSTER", "KEYSLOT", key).Trim(), CultureInfo.InvariantCulture);

    /// <summary>The node id of the node on <paramref name="port"/> (<c>CLUSTER MYID</c>).</summary>
    public static string NodeId(int port) => Cli(port, "CLUSTER", "MYID").Trim();

    /// <summary>The port of the primary that owns <paramref name="key"/>'s slot now, as the first live node sees it.</summary>
    public int PortOfKey(string key) => PortOfKey(key, LivePort());

    /// <summary>The port of the primary that owns <paramref name="key"/>'s slot as the node on <paramref name="askedPort"/> sees it.</summary>
    public int PortOfKey(string key, int askedPort) => PortOfSlot(SlotOf(key), askedPort);

    /// <summary>
    /// The port of the primary owning each of the 16,384 slots now (0 for a slot no live primary owns), from one
    /// <c>CLUSTER NODES</c> of the first live node: for picking many keys without asking once per key.
    /// </summary>
    public int[] SlotOwners()
    {
        var owners = new int[16384];
        foreach (var fields in ClusterNodes(LivePort()).Select(line => line.Split(' ')))
        {
            if (!fields[2].Contains("master", StringComparison.Ordinal) || fields[2].Contains("fail", StringComparison.Ordinal)) continue;
            foreach (var range in fields.Skip(8).Where(r => !r.StartsWith('[')))
            {
                var bounds = range.Split('-');
                var low = int.Parse(bounds[0], CultureInfo.InvariantCulture);
                var high = bounds.Length > 1 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : low;
                for (var slot = low; slot <= high; slot++) owners[slot] = PortOf(fields[1]);
            }
        }
        return owners;
    }

    /// <summary>The port of the primary that owns <paramref name="slot"/> as the node on <paramref name="askedPort"/> sees it.</summary>
    public static int PortOfSlot(int slot, int askedPort)
    {
        foreach (var line in ClusterNodes(askedPort))
        {
            var fields = line.Split(' ');
            if (!fields[2].Contains("master", StringComparison.Ordinal) || fields[2].Contains("fail", StringComparison.Ordinal)) continue;
            foreach (var range in fields.Skip(8))
            {
                if (range.StartsWith('[')) continue; // a slot being migrated: [slot->-id] or [slot-<-id]
                var bounds = range.Split('-');
                var low = int.Parse(bounds[0], CultureInfo.InvariantCulture);
                var high = bounds.Length > 1 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : low;
                if (slot >= low && slot <= high) return PortOf(fields[1]);
            }
        }
        throw new InvalidOperationException($"no live primary owns slot {slot} in the view of :{askedPort}");
    }

    /// <summary>Kills a node (SIGKILL); with a primary, its replica is promoted after <see cref="NodeTimeout"/>.</summary>
    public void Kill(int port) => _nodes[Index(port)]?.Kill();

    /// <summary>
    /// Waits until the replica on <paramref name="replicaPort"/> has taken over from the killed primary on
    /// <paramref name="killedPort"/> in the view of every live node (asked with <c>CLUSTER NODES</c>, never a fixed
    /// sleep), and every live node says <c>cluster_state:ok</c>.
    /// </summary>
    public void WaitForPromotion(int killedPort, int replicaPort) =>
        SentinelTopology.WaitFor(() => LivePorts().All(p =>
            {
                var view = ClusterNodes(p).Select(line => line.Split(' ')).ToList();
                return view.Any(f => PortOf(f[1]) == replicaPort && f[2].Split(',').Contains("master") && !f[2].Contains("fail", StringComparison.Ordinal))
                       && view.Any(f => PortOf(f[1]) == killedPort && f[2].Contains("fail", StringComparison.Ordinal) && !f[2].Contains("fail?", StringComparison.Ordinal))
                       && Cli(p, "CLUSTER", "INFO").Contains("cluster_state:ok", StringComparison.Ordinal);
            }),
            Patience, $"the replica :{replicaPort} to take over from the killed primary :{killedPort} in every live node's view");

    /// <summary>
    /// Starts a killed node again on its port and folder (its <c>nodes.conf</c> remembers the cluster): it rejoins as a
    /// replica of the node that took over. Returns once the cluster is whole again (<see cref="WaitUntilWhole"/>).
    /// </summary>
    public void Restart(int port)
    {
        var i = Index(port);
        _nodes[i]?.Dispose();
        _nodes[i] = null;
        // The port was free a moment ago; right after a kill the kernel may still hold it briefly.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _nodes[i] = ServerProcess.Start($"redis cluster node :{port}", _server, _arguments[i], port, _arguments[i][^1]);
                break;
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                Thread.Sleep(500);
            }
        }
        WaitUntilWhole();
    }

    /// <summary>
    /// Waits until every node runs and sees <see cref="Primaries"/> primaries and as many replicas, none failed,
    /// <c>cluster_state:ok</c>, and every replica has finished its sync (a failover before that loses what was written).
    /// </summary>
    public void WaitUntilWhole()
    {
        // cluster_state:ok comes before the roles have spread by gossip: ready once every node sees three primaries and
        // three replicas, and every replica has finished its first sync.
        foreach (var port in Ports)
            SentinelTopology.WaitFor(() => Cli(port, "CLUSTER", "INFO").Contains("cluster_state:ok", StringComparison.Ordinal)
                                           && NodesWithRole(port, "master").Length == Primaries
                                           && NodesWithRole(port, "slave").Length == Primaries
                                           && ClusterNodes(port).All(line => !line.Split(' ')[2].Contains("fail", StringComparison.Ordinal)),
                Patience, $"cluster node :{port} to see {Primaries} primaries and {Primaries} replicas, none failing");
        SentinelTopology.WaitFor(() => ReplicaPorts().All(p => Cli(p, "INFO", "replication").Contains("master_link_status:up", StringComparison.Ordinal)),
            Patience, "every replica to finish its sync");
    }

    /// <summary>
    /// Waits until the replica of the primary on <paramref name="primaryPort"/> has processed everything the primary
    /// sent (its <c>slave_repl_offset</c> reached the primary's <c>master_repl_offset</c>). Meaningful while the primary
    /// takes no writes (<c>CLIENT PAUSE … WRITE</c>, which also holds its replication pings).
    /// </summary>
    public void WaitUntilReplicaCaughtUp(int primaryPort)
    {
        var replica = ReplicaOf(primaryPort);
        SentinelTopology.WaitFor(() =>
            {
                var primary = Info(primaryPort, "replication", "master_repl_offset");
                return primary > 0 && Info(replica, "replication", "slave_repl_offset") == primary;
            },
            Patience, $"the replica :{replica} to catch up with its primary :{primaryPort}");
    }

    /// <summary>A numeric field of <c>INFO section</c> on one node.</summary>
    public static long Info(int port, string section, string field)
    {
        foreach (var line in Node(port, "INFO", section).Split('\n'))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim(), CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"INFO {section} of :{port} has no {field}");
    }

    /// <summary>Runs a command on one node with redis-cli (<c>-c</c>: follows MOVED and ASK redirects).</summary>
    public static string Cli(int port, params string[] command) =>
        ServerProcess.Run(ServerProcess.Require("redis-cli", "redis-tools"),
            ["-c", "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. command], timeout: TimeSpan.FromSeconds(30));

    /// <summary>Runs a command on exactly this node (no redirects followed: a <c>MOVED</c> comes back as the answer).</summary>
    public static string Node(int port, params string[] command) =>
        ServerProcess.Run(ServerProcess.Require("redis-cli", "redis-tools"),
            ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. command], timeout: TimeSpan.FromSeconds(30));

    /// <summary>
    /// Runs several commands on one connection to exactly this node (one redis-cli session reading them from stdin) and
    /// returns the raw output, one reply line per line: for what depends on the connection, such as <c>WAIT</c> after
    /// a write, or <c>READONLY</c>/<c>ASKING</c> before a read. Arguments must not contain spaces or quotes.
    /// </summary>
    public static string Session(int port, params string[][] commands) =>
        ServerProcess.Run(ServerProcess.Require("redis-cli", "redis-tools"),
            ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture)], timeout: TimeSpan.FromMinutes(2),
            stdin: string.Concat(commands.Select(c => string.Join(' ', c) + "\n")));

    /// <summary>The elements of the list <paramref name="key"/> as the replica on <paramref name="port"/> holds it (<c>READONLY</c>, then <c>LRANGE</c>).</summary>
    public static string[] ReadReplica(int port, string key) =>
        Session(port, ["READONLY"], ["LRANGE", key, "0", "-1"])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).ToArray();

    private static int[] NodesWithRole(int port, string role) => ClusterNodes(port)
        .Select(line => line.Split(' '))
        .Where(f => f[2].Split(',').Contains(role) && !f[2].Contains("fail", StringComparison.Ordinal))
        .Select(f => PortOf(f[1]))
        .ToArray();

    private static string[] ClusterNodes(int port) =>
        Node(port, "CLUSTER", "NODES").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private int Index(int port)
    {
        var i = Array.IndexOf(Ports, port);
        return i >= 0 ? i : throw new ArgumentException($"port {port} is not a node of this cluster ({string.Join(", ", Ports)})", nameof(port));
    }

    private IEnumerable<int> LivePorts() => Ports.Where(IsRunning);

    private int LivePort() => LivePorts().First();

    // "127.0.0.1:7000@17000" → 7000
    private static int PortOf(string address) =>
        int.Parse(address.Split('@')[0].Split(':')[^1], CultureInfo.InvariantCulture);

    /// <summary>
    /// Starts a node on a random port whose bus port (+10000) lies below the kernel's ephemeral port range
    /// (<c>/proc/sys/net/ipv4/ip_local_port_range</c>, 32768 by default), retrying with another port when it is taken.
    /// </summary>
    private static ServerProcess StartBelowEphemeralRange(Func<int, ServerProcess> start, out int port)
    {
        var low = 32768;
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (range.Length > 0 && int.TryParse(range[0], CultureInfo.InvariantCulture, out var parsed) && parsed > 12000) low = parsed;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        for (var attempt = 1; ; attempt++)
        {
            port = Random.Shared.Next(1024, low - 10000);
            try
            {
                return start(port);
            }
            catch (InvalidOperationException) when (attempt < 20)
            {
            }
        }
    }

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
